"""Rekognition Custom Labels projects and datasets."""

from __future__ import annotations

import base64
import hashlib
import heapq
import itertools
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from statusmon_emulator.clock import Clock
from statusmon_emulator.errors import AwsError
from statusmon_emulator.lifecycle import Lifecycle
from statusmon_emulator.manifest import (
    Entry,
    TerminalManifestError,
    check_single_bucket,
    parse_line,
    parse_manifest,
    terminal_message,
)
from statusmon_emulator.paging import decode_token, encode_token, page_ascending, remove_sorted, take_offset
from statusmon_emulator.s3data import S3Reader, S3ReadError
from statusmon_emulator.settings import Settings

CUSTOM_LABELS = "CUSTOM_LABELS"
IN_PROGRESS = {"CREATE_IN_PROGRESS", "UPDATE_IN_PROGRESS", "DELETE_IN_PROGRESS"}
COMPLETE = {"CREATE_COMPLETE", "UPDATE_COMPLETE"}
DATASET_STATUSES = IN_PROGRESS | COMPLETE | {"CREATE_FAILED", "UPDATE_FAILED"}

MSG_CREATING = "The dataset is being created."
MSG_CREATED = "The dataset was successfully created."
MSG_UPDATING = "The dataset is being updated."
MSG_UPDATED = "The dataset was successfully updated."
MSG_S3_UNAVAILABLE = "An internal service error occurred while reading the manifest file. Try again later."

_DEFAULT_MESSAGES = {
    "CREATE_IN_PROGRESS": (MSG_CREATING, "SUCCESS"),
    "UPDATE_IN_PROGRESS": (MSG_UPDATING, "SUCCESS"),
    "DELETE_IN_PROGRESS": ("The dataset is being deleted.", "SUCCESS"),
    "CREATE_COMPLETE": (MSG_CREATED, "SUCCESS"),
    "UPDATE_COMPLETE": (MSG_UPDATED, "SUCCESS"),
    "CREATE_FAILED": (terminal_message("ERROR_MANIFEST_INACCESSIBLE_OR_UNSUPPORTED_FORMAT"), "CLIENT_ERROR"),
    "UPDATE_FAILED": (terminal_message("ERROR_TOO_MANY_RECORDS_IN_ERROR"), "CLIENT_ERROR"),
}

Outcome = tuple[str, str, str, list[Entry] | None]  # status, message, code, entries (None: failed)


@dataclass
class Dataset:
    arn: str
    project: Project
    dataset_type: str
    created: float
    life: Lifecycle
    entries: dict[str, Entry] = field(default_factory=dict)

    def state(self, now: float) -> dict[str, Any]:
        return self.life.settle(now)

    def metadata(self, now: float) -> dict[str, Any]:
        state = self.state(now)
        return {
            "CreationTimestamp": self.created,
            "DatasetType": self.dataset_type,
            "DatasetArn": self.arn,
            "Status": state["Status"],
            "StatusMessage": state["StatusMessage"],
            "StatusMessageCode": state["StatusMessageCode"],
        }

    def stats(self) -> dict[str, int]:
        labels: set[str] = set()
        labeled = errors = 0
        for entry in self.entries.values():
            labels.update(entry.labels)
            labeled += bool(entry.labels)
            errors += bool(entry.errors)
        return {
            "LabeledEntries": labeled,
            "TotalEntries": len(self.entries),
            "TotalLabels": len(labels),
            "ErrorEntries": errors,
        }


@dataclass
class Project:
    name: str
    arn: str
    seq: int
    created: float
    feature: str
    auto_update: str | None
    datasets: dict[str, Dataset] = field(default_factory=dict)  # by DatasetType


class RekognitionBackend:
    def __init__(self, settings: Settings, clock: Clock, s3: S3Reader) -> None:
        self._settings = settings
        self._clock = clock
        self._s3 = s3
        self._lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._projects: dict[int, Project] = {}
            self._by_name: dict[str, Project] = {}
            self._by_arn: dict[str, Project] = {}
            self._by_feature: dict[str, list[int]] = {CUSTOM_LABELS: [], "CONTENT_MODERATION": []}
            self._datasets: dict[str, Dataset] = {}
            self._seq = itertools.count(1)
            self._last_id = 0

    # ---- helpers -------------------------------------------------------------------------

    def _new_id(self, now: float) -> int:
        self._last_id = max(self._last_id + 1, int(now * 1000))
        return self._last_id

    def _duration(self, name: str) -> float:
        return self._settings.durations[f"rekognition_{name}"]

    def _project(self, arn: str) -> Project:
        project = self._by_arn.get(arn)
        if project is None:
            raise AwsError("ResourceNotFoundException", f"The project {arn} does not exist.")
        return project

    def _dataset(self, arn: str) -> Dataset:
        dataset = self._datasets.get(arn)
        if dataset is None:
            raise AwsError("ResourceNotFoundException", f"The dataset {arn} does not exist.")
        return dataset

    def _add_project(self, name: str, feature: str, auto_update: str | None, now: float) -> Project:
        if name in self._by_name:
            raise AwsError("ResourceInUseException", f"A project named {name} already exists.")
        arn = f"arn:aws:rekognition:{self._settings.region}:{self._settings.account_id}:project/{name}/"
        project = Project(name, arn + str(self._new_id(now)), next(self._seq), now, feature, auto_update)
        self._projects[project.seq] = project
        self._by_name[name] = project
        self._by_arn[project.arn] = project
        self._by_feature[feature].append(project.seq)
        return project

    def _add_dataset(self, project: Project, dataset_type: str, now: float, state: dict[str, Any]) -> Dataset:
        if project.feature != CUSTOM_LABELS:
            raise AwsError(
                "InvalidParameterException", "Datasets are only supported for CUSTOM_LABELS projects."
            )
        if dataset_type in project.datasets:
            raise AwsError(
                "ResourceAlreadyExistsException",
                f"The project {project.arn} already has a {dataset_type} dataset.",
            )
        prefix = project.arn.rsplit("/", 1)[0]
        arn = f"{prefix}/dataset/{dataset_type.lower()}/{self._new_id(now)}"
        dataset = Dataset(arn, project, dataset_type, now, Lifecycle(now, state))
        project.datasets[dataset_type] = dataset
        self._datasets[arn] = dataset
        return dataset

    @staticmethod
    def _status(status: str, message: str, code: str) -> dict[str, Any]:
        return {"Status": status, "StatusMessage": message, "StatusMessageCode": code}

    # ---- projects ------------------------------------------------------------------------

    def create_project(self, params: dict[str, Any]) -> dict[str, Any]:
        feature = params.get("Feature", CUSTOM_LABELS)
        auto_update = params.get("AutoUpdate")
        if auto_update is not None and feature != "CONTENT_MODERATION":
            raise AwsError(
                "InvalidParameterException", "AutoUpdate is only supported for CONTENT_MODERATION."
            )
        if feature == "CONTENT_MODERATION" and auto_update is None:
            auto_update = "DISABLED"
        with self._lock:
            project = self._add_project(params["ProjectName"], feature, auto_update, self._clock.now())
        return {"ProjectArn": project.arn}

    def describe_projects(self, params: dict[str, Any]) -> dict[str, Any]:
        limit = params.get("MaxResults", 100)
        features = params.get("Features") or [CUSTOM_LABELS]
        names = params.get("ProjectNames")
        token = params.get("NextToken")
        after = decode_token(token, "DescribeProjects", "InvalidPaginationTokenException") if token else None
        if after is not None and not isinstance(after, int):
            raise AwsError("InvalidPaginationTokenException", "Invalid pagination token")
        with self._lock:
            now = self._clock.now()
            if names:
                seqs = sorted(
                    p.seq for n in set(names) if (p := self._by_name.get(n)) and p.feature in features
                )
            elif len(set(features)) == 1:
                seqs = self._by_feature[features[0]]
            else:
                seqs = list(heapq.merge(*(self._by_feature[f] for f in set(features))))
            chunk, more = page_ascending(seqs, after, limit)
            descriptions = [self._describe_project(self._projects[seq], now) for seq in chunk]
        result: dict[str, Any] = {"ProjectDescriptions": descriptions}
        if more:
            result["NextToken"] = encode_token("DescribeProjects", chunk[-1])
        return result

    def _describe_project(self, project: Project, now: float) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "ProjectArn": project.arn,
            "CreationTimestamp": project.created,
            "Status": "CREATED",
            "Feature": project.feature,
        }
        if project.feature == CUSTOM_LABELS:
            doc["Datasets"] = [
                project.datasets[t].metadata(now) for t in ("TRAIN", "TEST") if t in project.datasets
            ]
        if project.auto_update is not None:
            doc["AutoUpdate"] = project.auto_update
        return doc

    def delete_project(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            now = self._clock.now()
            project = self._project(params["ProjectArn"])
            for dataset in project.datasets.values():
                if dataset.state(now)["Status"] in IN_PROGRESS:
                    raise AwsError("ResourceInUseException", f"The dataset {dataset.arn} is busy.")
            for dataset in project.datasets.values():
                del self._datasets[dataset.arn]
            del self._projects[project.seq]
            del self._by_name[project.name]
            del self._by_arn[project.arn]
            remove_sorted(self._by_feature[project.feature], project.seq)
        return {"Status": "DELETING"}

    # ---- datasets ------------------------------------------------------------------------

    def _read_manifest(self, s3_object: dict[str, Any]) -> Outcome:
        bucket, key = s3_object.get("Bucket"), s3_object.get("Name")
        if not bucket or not key:
            raise AwsError(
                "InvalidParameterException",
                "DatasetSource.GroundTruthManifest.S3Object needs Bucket and Name.",
            )
        if "." not in key.rsplit("/", 1)[-1]:
            code = "ERROR_MANIFEST_INACCESSIBLE_OR_UNSUPPORTED_FORMAT"
            return "CREATE_FAILED", terminal_message(code), "CLIENT_ERROR", None
        try:
            data = self._s3.read(bucket, key, self._settings.max_manifest_bytes)
        except S3ReadError as exc:
            codes = {
                "missing": "ERROR_MANIFEST_INACCESSIBLE_OR_UNSUPPORTED_FORMAT",
                "denied": "ERROR_INVALID_PERMISSIONS_MANIFEST_S3_BUCKET",
                "too_large": "ERROR_MANIFEST_SIZE_TOO_LARGE",
            }
            if exc.kind not in codes:
                return "CREATE_FAILED", MSG_S3_UNAVAILABLE, "SERVICE_ERROR", None
            return "CREATE_FAILED", terminal_message(codes[exc.kind]), "CLIENT_ERROR", None
        return self._parse(data, {}, "CREATE")

    def _parse(self, data: bytes, existing: dict[str, Entry], verb: str) -> Outcome:
        try:
            parsed = parse_manifest(data)
            merged = dict(existing)
            merged.update((e.source_ref, e) for e in parsed.entries)
            check_single_bucket(list(merged.values()))
        except TerminalManifestError as exc:
            return f"{verb}_FAILED", str(exc), "CLIENT_ERROR", None
        if len(merged) > self._settings.max_entries_per_dataset:
            raise AwsError(
                "LimitExceededException",
                f"A dataset can hold at most {self._settings.max_entries_per_dataset} images.",
            )
        message = MSG_CREATED if verb == "CREATE" else MSG_UPDATED
        return f"{verb}_COMPLETE", message, "SUCCESS", parsed.entries

    def create_dataset(self, params: dict[str, Any]) -> dict[str, Any]:
        source = params.get("DatasetSource") or {}
        manifest = (source.get("GroundTruthManifest") or {}).get("S3Object")
        source_arn = source.get("DatasetArn")
        if manifest is not None and source_arn is not None:
            raise AwsError(
                "InvalidParameterException", "Specify either GroundTruthManifest or DatasetArn, not both."
            )
        outcome: Outcome = ("CREATE_COMPLETE", MSG_CREATED, "SUCCESS", [])
        if manifest is not None:
            outcome = self._read_manifest(manifest)
        with self._lock:
            now = self._clock.now()
            project = self._project(params["ProjectArn"])
            if source_arn is not None:
                origin = self._dataset(source_arn)
                if origin.state(now)["Status"] not in COMPLETE:
                    raise AwsError(
                        "InvalidParameterException", f"The dataset {source_arn} is not ready to copy."
                    )
                outcome = ("CREATE_COMPLETE", MSG_CREATED, "SUCCESS", list(origin.entries.values()))
            dataset = self._add_dataset(
                project,
                params["DatasetType"],
                now,
                self._status("CREATE_IN_PROGRESS", MSG_CREATING, "SUCCESS"),
            )
            self._finish(dataset, now + self._duration("dataset_create"), outcome)
        return {"DatasetArn": dataset.arn}

    @staticmethod
    def _finish(dataset: Dataset, at: float, outcome: Outcome) -> None:
        status, message, code, entries = outcome

        def apply() -> None:
            for entry in entries or []:
                dataset.entries[entry.source_ref] = entry

        state = RekognitionBackend._status(status, message, code)
        dataset.life.schedule(at, state, apply if entries else None)

    def describe_dataset(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            dataset = self._dataset(params["DatasetArn"])
            state = dataset.state(self._clock.now())
            description = {
                "CreationTimestamp": dataset.created,
                "LastUpdatedTimestamp": dataset.life.updated,
                "Status": state["Status"],
                "StatusMessage": state["StatusMessage"],
                "StatusMessageCode": state["StatusMessageCode"],
                "DatasetStats": dataset.stats(),
            }
        return {"DatasetDescription": description}

    def _ready(self, dataset: Dataset, now: float) -> None:
        if dataset.state(now)["Status"] in IN_PROGRESS:
            raise AwsError(
                "ResourceInUseException", f"The dataset {dataset.arn} is being created or updated."
            )

    def update_dataset_entries(self, params: dict[str, Any]) -> dict[str, Any]:
        data = base64.b64decode(params["Changes"]["GroundTruth"])
        with self._lock:
            now = self._clock.now()
            dataset = self._dataset(params["DatasetArn"])
            self._ready(dataset, now)
            outcome = self._parse(data, dataset.entries, "UPDATE")
            dataset.life.set(now, self._status("UPDATE_IN_PROGRESS", MSG_UPDATING, "SUCCESS"))
            self._finish(dataset, now + self._duration("dataset_update"), outcome)
        return {}

    def distribute_dataset_entries(self, params: dict[str, Any]) -> dict[str, Any]:
        arns = [item["Arn"] for item in params["Datasets"]]
        with self._lock:
            now = self._clock.now()
            datasets = [self._dataset(arn) for arn in arns]
            by_type = {d.dataset_type: d for d in datasets}
            if set(by_type) != {"TRAIN", "TEST"} or datasets[0].project is not datasets[1].project:
                raise AwsError(
                    "InvalidParameterException",
                    "Specify the training dataset and the test dataset of one project.",
                )
            train, test = by_type["TRAIN"], by_type["TEST"]
            for dataset in datasets:
                if dataset.state(now)["Status"] not in COMPLETE:
                    raise AwsError("ResourceNotReadyException", f"The dataset {dataset.arn} is not ready.")
            if test.entries:
                raise AwsError("InvalidParameterException", "The test dataset must be empty.")
            moved = self._pick_for_test(train)
            at = now + self._duration("dataset_distribute")
            for dataset in datasets:
                dataset.life.set(now, self._status("UPDATE_IN_PROGRESS", MSG_UPDATING, "SUCCESS"))
            if moved is None:
                code = "ERROR_INSUFFICIENT_IMAGES_PER_LABEL_FOR_DISTRIBUTE"
                for dataset in datasets:
                    dataset.life.schedule(
                        at, self._status("UPDATE_FAILED", terminal_message(code), "CLIENT_ERROR")
                    )
                return {}

            def apply() -> None:
                for source_ref in moved:
                    test.entries[source_ref] = train.entries.pop(source_ref)

            train.life.schedule(at, self._status("UPDATE_COMPLETE", MSG_UPDATED, "SUCCESS"), apply)
            test.life.schedule(at, self._status("UPDATE_COMPLETE", MSG_UPDATED, "SUCCESS"))
        return {}

    @staticmethod
    def _pick_for_test(train: Dataset) -> list[str] | None:
        """20% of the training entries, chosen by a stable hash; None when too few to split."""
        per_label: dict[str, int] = {}
        for entry in train.entries.values():
            for label in entry.labels:
                per_label[label] = per_label.get(label, 0) + 1
        if len(train.entries) < 2 or any(count < 2 for count in per_label.values()):
            return None
        ranked = sorted(train.entries, key=lambda ref: hashlib.sha256(ref.encode()).hexdigest())
        return ranked[: max(1, len(ranked) // 5)]

    def _entries_for_listing(self, dataset: Dataset, now: float) -> None:
        status = dataset.state(now)["Status"]
        if status in IN_PROGRESS or status == "CREATE_FAILED":
            raise AwsError("ResourceNotReadyException", f"The dataset {dataset.arn} is not ready.")

    def list_dataset_entries(self, params: dict[str, Any]) -> dict[str, Any]:
        limit = params.get("MaxResults", 100)
        offset = self._offset(params, "ListDatasetEntries")
        wanted = set(params.get("ContainsLabels") or [])
        labeled = params.get("Labeled")
        contains = params.get("SourceRefContains")
        has_errors = params.get("HasErrors")

        def keep(entry: Entry) -> bool:
            return (
                (not wanted or bool(wanted & entry.labels.keys()))
                and (labeled is None or bool(entry.labels) == labeled)
                and (contains is None or contains in entry.source_ref)
                and (has_errors is None or bool(entry.errors) == has_errors)
            )

        with self._lock:
            dataset = self._dataset(params["DatasetArn"])
            self._entries_for_listing(dataset, self._clock.now())
            matches: Iterator[Entry] = (e for e in dataset.entries.values() if keep(e))
            page, more = take_offset(matches, offset, limit)
            lines = [entry.as_json() for entry in page]
        return self._with_token({"DatasetEntries": lines}, "ListDatasetEntries", offset + len(page), more)

    def list_dataset_labels(self, params: dict[str, Any]) -> dict[str, Any]:
        limit = params.get("MaxResults", 100)
        offset = self._offset(params, "ListDatasetLabels")
        with self._lock:
            dataset = self._dataset(params["DatasetArn"])
            self._entries_for_listing(dataset, self._clock.now())
            counts: dict[str, list[int]] = {}
            for entry in dataset.entries.values():
                for label, boxes in entry.labels.items():
                    count = counts.setdefault(label, [0, 0])
                    count[0] += 1
                    count[1] += boxes
        page, more = take_offset(sorted(counts.items()), offset, limit)
        descriptions = [
            {"LabelName": name, "LabelStats": {"EntryCount": entries, "BoundingBoxCount": boxes}}
            for name, (entries, boxes) in page
        ]
        return self._with_token(
            {"DatasetLabelDescriptions": descriptions}, "ListDatasetLabels", offset + len(page), more
        )

    @staticmethod
    def _offset(params: dict[str, Any], operation: str) -> int:
        token = params.get("NextToken")
        if not token:
            return 0
        offset = decode_token(token, operation, "InvalidPaginationTokenException")
        if not isinstance(offset, int) or offset < 0:
            raise AwsError("InvalidPaginationTokenException", "Invalid pagination token")
        return offset

    @staticmethod
    def _with_token(result: dict[str, Any], operation: str, offset: int, more: bool) -> dict[str, Any]:
        if more:
            result["NextToken"] = encode_token(operation, offset)
        return result

    def delete_dataset(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            dataset = self._dataset(params["DatasetArn"])
            self._ready(dataset, self._clock.now())
            del dataset.project.datasets[dataset.dataset_type]
            del self._datasets[dataset.arn]
        return {}

    # ---- bulk seeding --------------------------------------------------------------------

    def seed(self, projects: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Create projects and datasets directly in the given states (see docs/emulator.md)."""
        created: list[dict[str, Any]] = []
        with self._lock:
            now = self._clock.now()
            for spec in projects:
                feature = spec.get("feature", CUSTOM_LABELS)
                project = self._add_project(spec["name"], feature, spec.get("auto_update"), now)
                datasets = {}
                for ds_spec in spec.get("datasets", []):
                    dataset = self._seed_dataset(project, ds_spec, now)
                    datasets[dataset.dataset_type] = dataset.arn
                created.append({"project_arn": project.arn, "datasets": datasets})
        return created

    def _seed_dataset(self, project: Project, spec: dict[str, Any], now: float) -> Dataset:
        state = self._seed_state(spec)
        dataset = self._add_dataset(project, spec.get("type", "TRAIN"), now, state)
        for raw in spec.get("entries", []):
            doc = json.loads(raw) if isinstance(raw, str) else dict(raw)
            entry = parse_line(doc, str(doc.get("source-ref", "")))
            dataset.entries[entry.source_ref] = entry
        step = spec.get("next")
        if step:
            dataset.life.schedule(now + float(step.get("after", 0)), self._seed_state(step))
        return dataset

    def _seed_state(self, spec: dict[str, Any]) -> dict[str, Any]:
        status = spec.get("status", "CREATE_COMPLETE")
        if status not in DATASET_STATUSES:
            raise ValueError(f"unknown dataset status {status!r}")
        message, code = _DEFAULT_MESSAGES[status]
        return self._status(
            status, spec.get("status_message", message), spec.get("status_message_code", code)
        )

    def counts(self) -> dict[str, int]:
        with self._lock:
            return {"projects": len(self._projects), "datasets": len(self._datasets)}


Handler = Callable[[dict[str, Any]], dict[str, Any]]


def operations(backend: RekognitionBackend) -> dict[str, Handler]:
    return {
        "CreateProject": backend.create_project,
        "DescribeProjects": backend.describe_projects,
        "DeleteProject": backend.delete_project,
        "CreateDataset": backend.create_dataset,
        "DescribeDataset": backend.describe_dataset,
        "UpdateDatasetEntries": backend.update_dataset_entries,
        "DistributeDatasetEntries": backend.distribute_dataset_entries,
        "ListDatasetEntries": backend.list_dataset_entries,
        "ListDatasetLabels": backend.list_dataset_labels,
        "DeleteDataset": backend.delete_dataset,
    }
