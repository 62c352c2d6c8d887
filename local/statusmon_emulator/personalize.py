"""Personalize dataset groups, schemas, datasets and dataset import jobs."""

from __future__ import annotations

import csv
import io
import itertools
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from statusmon_emulator.clock import Clock
from statusmon_emulator.errors import AwsError
from statusmon_emulator.lifecycle import Lifecycle
from statusmon_emulator.paging import decode_token, encode_token, page_descending
from statusmon_emulator.s3data import S3Reader, S3ReadError, split_s3_uri
from statusmon_emulator.settings import Settings

PENDING = "CREATE PENDING"
IN_PROGRESS = "CREATE IN_PROGRESS"
ACTIVE = "ACTIVE"
FAILED = "CREATE FAILED"
JOB_STATUSES = {PENDING, IN_PROGRESS, ACTIVE, FAILED}

# Canonical dataset types and the fields their schema must declare.
DATASET_TYPES: dict[str, tuple[str, tuple[str, ...]]] = {
    "INTERACTIONS": ("Interactions", ("USER_ID", "ITEM_ID", "TIMESTAMP")),
    "ITEMS": ("Items", ("ITEM_ID",)),
    "USERS": ("Users", ("USER_ID",)),
    "ACTIONS": ("Actions", ("ACTION_ID",)),
    "ACTION_INTERACTIONS": ("Action_Interactions", ("USER_ID", "ACTION_ID", "TIMESTAMP")),
}

REASON_DENIED = (
    "Insufficient privileges for accessing data in S3. Please look at "
    "https://docs.aws.amazon.com/personalize/latest/dg/data-prep-importing.html and make sure that "
    "sufficient privileges are provided."
)
REASON_UNAVAILABLE = "An internal error occurred while reading the data source. Try again later."

_NUMERIC = {"int": int, "long": int, "float": float, "double": float}


@dataclass
class Field:
    name: str
    types: tuple[str, ...]

    @property
    def required(self) -> bool:
        return "null" not in self.types


@dataclass
class Schema:
    name: str
    arn: str
    fields: list[Field]


@dataclass
class DatasetGroup:
    name: str
    arn: str
    seq: int
    created: float
    domain: str | None
    life: Lifecycle


@dataclass
class Dataset:
    name: str
    arn: str
    seq: int
    created: float
    group: DatasetGroup
    dataset_type: str
    schema: Schema
    life: Lifecycle


@dataclass
class ImportJob:
    name: str
    arn: str
    seq: int
    created: float
    dataset: Dataset
    data_location: str
    role_arn: str | None
    import_mode: str
    publish_metrics: bool
    life: Lifecycle


def parse_schema(text: str) -> list[Field]:
    """Fields of an Avro record schema; raises ValueError when it is not one."""
    doc = json.loads(text)
    if not isinstance(doc, dict) or doc.get("type") != "record" or not isinstance(doc.get("fields"), list):
        raise ValueError("the schema must be an Avro record with a fields list")
    fields: list[Field] = []
    for item in doc["fields"]:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise ValueError("every field needs a name")
        kind = item.get("type")
        types = tuple(kind) if isinstance(kind, list) else (kind,)
        if not all(isinstance(t, str) for t in types):
            raise ValueError(f"field {item['name']} has an unsupported type")
        fields.append(Field(item["name"], types))
    return fields


def default_schema(dataset_type: str) -> str:
    _, required = DATASET_TYPES[dataset_type]
    kinds = {"TIMESTAMP": "long"}
    fields = [{"name": name, "type": kinds.get(name, "string")} for name in required]
    return json.dumps(
        {
            "type": "record",
            "name": dataset_type.title(),
            "namespace": "com.amazonaws.personalize.schema",
            "fields": fields,
            "version": "1.0",
        }
    )


def check_csv(data: bytes, fields: list[Field]) -> str | None:
    """The failure reason for a CSV file that does not fit the schema, or None."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return "Input CSV is not UTF-8 encoded text."
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header:
        return "Input CSV is empty."
    columns = [name.strip().upper() for name in header]
    missing = [f.name for f in fields if f.required and f.name.upper() not in columns]
    if missing:
        return f"Input CSV is missing the following columns: [{', '.join(missing)}]"
    typed = {
        index: f
        for f in fields
        for index, column in enumerate(columns)
        if column == f.name.upper() and any(t in _NUMERIC for t in f.types)
    }
    for row_number, row in enumerate(reader, start=2):
        if not row:
            continue
        if len(row) != len(columns):
            return f"Row {row_number} of the input CSV has {len(row)} columns; the header has {len(columns)}."
        for index, schema_field in typed.items():
            value = row[index].strip()
            if not value and not schema_field.required:
                continue
            kind = next(t for t in schema_field.types if t in _NUMERIC)
            try:
                _NUMERIC[kind](value)
            except ValueError:
                return (
                    f"Row {row_number}: the value '{value}' of column {schema_field.name} "
                    f"is not a valid {kind}."
                )
    return None


class PersonalizeBackend:
    def __init__(self, settings: Settings, clock: Clock, s3: S3Reader) -> None:
        self._settings = settings
        self._clock = clock
        self._s3 = s3
        self._lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._groups: dict[str, DatasetGroup] = {}
            self._group_seqs: list[int] = []
            self._group_by_seq: dict[int, DatasetGroup] = {}
            self._schemas: dict[str, Schema] = {}
            self._datasets: dict[str, Dataset] = {}
            self._dataset_seqs: list[int] = []
            self._dataset_by_seq: dict[int, Dataset] = {}
            self._datasets_by_group: dict[str, list[int]] = {}
            self._jobs: dict[str, ImportJob] = {}
            self._job_by_seq: dict[int, ImportJob] = {}
            self._job_seqs: list[int] = []
            self._jobs_by_dataset: dict[str, list[int]] = {}
            self._open_jobs: set[str] = set()
            self._seq = itertools.count(1)

    def _arn(self, kind: str, name: str) -> str:
        return f"arn:aws:personalize:{self._settings.region}:{self._settings.account_id}:{kind}/{name}"

    def _duration(self, name: str) -> float:
        return self._settings.durations[f"personalize_{name}"]

    def _lifecycle(self, now: float, duration: str) -> Lifecycle:
        life = Lifecycle(now, {"status": PENDING})
        life.schedule(now + self._duration(duration), {"status": ACTIVE})
        return life

    # ---- dataset groups, schemas, datasets -----------------------------------------------

    def create_dataset_group(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            now = self._clock.now()
            group = self._add_group(
                params["name"], params.get("domain"), self._lifecycle(now, "dataset_group_create"), now
            )
        result = {"datasetGroupArn": group.arn}
        if group.domain:
            result["domain"] = group.domain
        return result

    def _add_group(self, name: str, domain: str | None, life: Lifecycle, now: float) -> DatasetGroup:
        arn = self._arn("dataset-group", name)
        if arn in self._groups:
            raise AwsError("ResourceAlreadyExistsException", f"Dataset group {arn} already exists.")
        group = DatasetGroup(name, arn, next(self._seq), now, domain, life)
        self._groups[arn] = group
        self._group_seqs.append(group.seq)
        self._group_by_seq[group.seq] = group
        return group

    def list_dataset_groups(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            now = self._clock.now()
            chunk, token = self._page(params, "ListDatasetGroups", self._group_seqs)
            summaries = []
            for seq in chunk:
                group = self._group_by_seq[seq]
                summary = {
                    "name": group.name,
                    "datasetGroupArn": group.arn,
                    "status": group.life.settle(now)["status"],
                    "creationDateTime": group.created,
                    "lastUpdatedDateTime": group.life.updated,
                }
                if group.domain:
                    summary["domain"] = group.domain
                summaries.append(summary)
        return self._listing("datasetGroups", summaries, token)

    def create_schema(self, params: dict[str, Any]) -> dict[str, Any]:
        try:
            fields = parse_schema(params["schema"])
        except ValueError as exc:
            raise AwsError("InvalidInputException", f"Invalid schema: {exc}") from None
        with self._lock:
            schema = self._add_schema(params["name"], fields)
        return {"schemaArn": schema.arn}

    def _add_schema(self, name: str, fields: list[Field]) -> Schema:
        arn = self._arn("schema", name)
        if arn in self._schemas:
            raise AwsError("ResourceAlreadyExistsException", f"Schema {arn} already exists.")
        schema = Schema(name, arn, fields)
        self._schemas[arn] = schema
        return schema

    def create_dataset(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            now = self._clock.now()
            group = self._groups.get(params["datasetGroupArn"])
            if group is None:
                raise AwsError(
                    "ResourceNotFoundException", f"Dataset group {params['datasetGroupArn']} does not exist."
                )
            schema = self._schemas.get(params["schemaArn"])
            if schema is None:
                raise AwsError("ResourceNotFoundException", f"Schema {params['schemaArn']} does not exist.")
            dataset = self._add_dataset(
                params["name"],
                group,
                params["datasetType"],
                schema,
                life=self._lifecycle(now, "dataset_create"),
                now=now,
            )
        return {"datasetArn": dataset.arn}

    def _add_dataset(
        self,
        name: str,
        group: DatasetGroup,
        dataset_type: str,
        schema: Schema,
        *,
        life: Lifecycle,
        now: float,
    ) -> Dataset:
        kind = dataset_type.upper()
        if kind not in DATASET_TYPES:
            raise AwsError(
                "InvalidInputException",
                f"Invalid datasetType {dataset_type}; expected one of "
                + ", ".join(v[0] for v in DATASET_TYPES.values()),
            )
        declared = {f.name.upper() for f in schema.fields}
        missing = [name for name in DATASET_TYPES[kind][1] if name not in declared]
        if missing:
            raise AwsError(
                "InvalidInputException",
                f"The schema for a {DATASET_TYPES[kind][0]} dataset must declare: {', '.join(missing)}.",
            )
        arn = self._arn("dataset", f"{group.name}/{kind}")
        if arn in self._datasets:
            raise AwsError("ResourceAlreadyExistsException", f"Dataset {arn} already exists.")
        dataset = Dataset(name, arn, next(self._seq), now, group, DATASET_TYPES[kind][0], schema, life)
        self._datasets[arn] = dataset
        self._dataset_seqs.append(dataset.seq)
        self._dataset_by_seq[dataset.seq] = dataset
        self._datasets_by_group.setdefault(group.arn, []).append(dataset.seq)
        return dataset

    def list_datasets(self, params: dict[str, Any]) -> dict[str, Any]:
        group_arn = params.get("datasetGroupArn")
        with self._lock:
            now = self._clock.now()
            seqs = self._dataset_seqs if group_arn is None else self._datasets_by_group.get(group_arn, [])
            chunk, token = self._page(params, "ListDatasets", seqs)
            summaries = []
            for seq in chunk:
                dataset = self._dataset_by_seq[seq]
                summaries.append(
                    {
                        "name": dataset.name,
                        "datasetArn": dataset.arn,
                        "datasetType": dataset.dataset_type,
                        "status": dataset.life.settle(now)["status"],
                        "creationDateTime": dataset.created,
                        "lastUpdatedDateTime": dataset.life.updated,
                    }
                )
        return self._listing("datasets", summaries, token)

    # ---- import jobs ---------------------------------------------------------------------

    def _read_source(self, location: str, fields: list[Field]) -> str | None:
        """The failure reason the job will end with, or None when the data imports cleanly."""
        where = split_s3_uri(location)
        if where is None:
            return f"Unsupported data location {location}; use an s3:// path."
        bucket, key = where
        try:
            keys = [key]
            if key.endswith("/") or not key:
                keys = [k for k in self._s3.list_keys(bucket, key) if k.lower().endswith(".csv")]
            reasons = (check_csv(self._s3.read(bucket, name), fields) for name in keys)
            reason = next((r for r in reasons if r), None)
        except S3ReadError as exc:
            reason = {
                "missing": f"Input path {location} does not exist.",
                "denied": REASON_DENIED,
            }.get(exc.kind, REASON_UNAVAILABLE)
        else:
            if not keys:
                reason = f"No CSV files were found at {location}."
        return reason

    def create_dataset_import_job(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            dataset = self._datasets.get(params["datasetArn"])
            if dataset is None:
                raise AwsError("ResourceNotFoundException", f"Dataset {params['datasetArn']} does not exist.")
            fields = dataset.schema.fields
        location = params["dataSource"].get("dataLocation")
        if not location:
            raise AwsError("InvalidInputException", "dataSource.dataLocation is required.")
        reason = self._read_source(location, fields)
        with self._lock:
            now = self._clock.now()
            self._check_capacity(now)
            job = self._add_job(params, dataset, now, {"status": PENDING})
            pending = now + self._duration("import_pending")
            job.life.schedule(pending, {"status": IN_PROGRESS})
            done = pending + self._duration("import_in_progress")
            job.life.schedule(
                done, {"status": FAILED, "failureReason": reason} if reason else {"status": ACTIVE}
            )
            self._open_jobs.add(job.arn)
        return {"datasetImportJobArn": job.arn}

    def _check_capacity(self, now: float) -> None:
        for arn in list(self._open_jobs):
            if self._jobs[arn].life.settle(now)["status"] in {ACTIVE, FAILED}:
                self._open_jobs.discard(arn)
        limit = self._settings.max_active_import_jobs
        if len(self._open_jobs) >= limit:
            raise AwsError(
                "LimitExceededException",
                f"You have reached the limit of {limit} pending or in-progress "
                "dataset import jobs in this region.",
            )

    def _add_job(
        self, params: dict[str, Any], dataset: Dataset, now: float, state: dict[str, Any]
    ) -> ImportJob:
        arn = self._arn("dataset-import-job", params["jobName"])
        if arn in self._jobs:
            raise AwsError("ResourceAlreadyExistsException", f"Dataset import job {arn} already exists.")
        job = ImportJob(
            name=params["jobName"],
            arn=arn,
            seq=next(self._seq),
            created=now,
            dataset=dataset,
            data_location=params["dataSource"].get("dataLocation", ""),
            role_arn=params.get("roleArn"),
            import_mode=params.get("importMode", "FULL"),
            publish_metrics=bool(params.get("publishAttributionMetricsToS3", False)),
            life=Lifecycle(now, state),
        )
        self._jobs[arn] = job
        self._job_seqs.append(job.seq)
        self._job_by_seq[job.seq] = job
        self._jobs_by_dataset.setdefault(dataset.arn, []).append(job.seq)
        return job

    def describe_dataset_import_job(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            job = self._jobs.get(params["datasetImportJobArn"])
            if job is None:
                raise AwsError(
                    "ResourceNotFoundException",
                    f"Dataset import job {params['datasetImportJobArn']} does not exist.",
                )
            state = job.life.settle(self._clock.now())
            doc: dict[str, Any] = {
                "jobName": job.name,
                "datasetImportJobArn": job.arn,
                "datasetArn": job.dataset.arn,
                "dataSource": {"dataLocation": job.data_location},
                "status": state["status"],
                "creationDateTime": job.created,
                "lastUpdatedDateTime": job.life.updated,
                "importMode": job.import_mode,
                "publishAttributionMetricsToS3": job.publish_metrics,
            }
            if job.role_arn:
                doc["roleArn"] = job.role_arn
            if state.get("failureReason"):
                doc["failureReason"] = state["failureReason"]
        return {"datasetImportJob": doc}

    def list_dataset_import_jobs(self, params: dict[str, Any]) -> dict[str, Any]:
        dataset_arn = params.get("datasetArn")
        with self._lock:
            now = self._clock.now()
            seqs = self._job_seqs if dataset_arn is None else self._jobs_by_dataset.get(dataset_arn, [])
            chunk, token = self._page(params, "ListDatasetImportJobs", seqs)
            summaries = []
            for seq in chunk:
                job = self._job_by_seq[seq]
                state = job.life.settle(now)
                summary = {
                    "datasetImportJobArn": job.arn,
                    "jobName": job.name,
                    "status": state["status"],
                    "creationDateTime": job.created,
                    "lastUpdatedDateTime": job.life.updated,
                    "importMode": job.import_mode,
                }
                if state.get("failureReason"):
                    summary["failureReason"] = state["failureReason"]
                summaries.append(summary)
        return self._listing("datasetImportJobs", summaries, token)

    # ---- paging --------------------------------------------------------------------------

    @staticmethod
    def _page(params: dict[str, Any], operation: str, seqs: list[int]) -> tuple[list[int], str | None]:
        token = params.get("nextToken")
        before = decode_token(token, operation, "InvalidNextTokenException") if token else None
        if before is not None and not isinstance(before, int):
            raise AwsError("InvalidNextTokenException", "Invalid next token")
        chunk, more = page_descending(seqs, before, params.get("maxResults", 100))
        return chunk, encode_token(operation, chunk[-1]) if more else None

    @staticmethod
    def _listing(key: str, items: list[dict[str, Any]], token: str | None) -> dict[str, Any]:
        result: dict[str, Any] = {key: items}
        if token:
            result["nextToken"] = token
        return result

    # ---- bulk seeding --------------------------------------------------------------------

    def seed(self, groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Create dataset groups, datasets and import jobs directly in given states."""
        created: list[dict[str, Any]] = []
        with self._lock:
            now = self._clock.now()
            for spec in groups:
                group = self._add_group(
                    spec["name"], spec.get("domain"), Lifecycle(now, {"status": ACTIVE}), now
                )
                datasets: dict[str, dict[str, Any]] = {}
                for ds_spec in spec.get("datasets", []):
                    dataset = self._seed_dataset(group, ds_spec, now)
                    jobs = [
                        self._seed_job(dataset, job_spec, now).arn
                        for job_spec in ds_spec.get("import_jobs", [])
                    ]
                    datasets[dataset.dataset_type] = {"dataset_arn": dataset.arn, "import_jobs": jobs}
                created.append({"dataset_group_arn": group.arn, "datasets": datasets})
        return created

    def _seed_dataset(self, group: DatasetGroup, spec: dict[str, Any], now: float) -> Dataset:
        kind = str(spec.get("type", "Interactions")).upper()
        if kind not in DATASET_TYPES:
            raise ValueError(f"unknown dataset type {spec.get('type')!r}")
        schema_text = spec.get("schema") or default_schema(kind)
        schema_name = spec.get("schema_name", f"{group.name}-{kind.lower()}-schema")
        schema = self._add_schema(schema_name, parse_schema(schema_text))
        name = spec.get("name", f"{group.name}-{kind.lower()}")
        return self._add_dataset(name, group, kind, schema, life=Lifecycle(now, {"status": ACTIVE}), now=now)

    def _seed_job(self, dataset: Dataset, spec: dict[str, Any], now: float) -> ImportJob:
        params = {
            "jobName": spec["name"],
            "dataSource": {"dataLocation": spec.get("data_location", "s3://seeded-bucket/data.csv")},
            "roleArn": spec.get("role_arn"),
            "importMode": spec.get("import_mode", "FULL"),
        }
        job = self._add_job(params, dataset, now, self._seed_state(spec))
        step = spec.get("next")
        if step:
            job.life.schedule(now + float(step.get("after", 0)), self._seed_state(step))
        if job.life.busy or job.life.state["status"] in {PENDING, IN_PROGRESS}:
            self._open_jobs.add(job.arn)
        return job

    @staticmethod
    def _seed_state(spec: dict[str, Any]) -> dict[str, Any]:
        status = spec.get("status", ACTIVE)
        if status not in JOB_STATUSES:
            raise ValueError(f"unknown import job status {status!r}")
        state: dict[str, Any] = {"status": status, "failureReason": None}
        if status == FAILED:
            state["failureReason"] = spec.get(
                "failure_reason", "Input CSV is missing the following columns: [TIMESTAMP]"
            )
        return state

    def counts(self) -> dict[str, int]:
        with self._lock:
            return {
                "dataset_groups": len(self._groups),
                "datasets": len(self._datasets),
                "import_jobs": len(self._jobs),
            }


Handler = Callable[[dict[str, Any]], dict[str, Any]]


def operations(backend: PersonalizeBackend) -> dict[str, Handler]:
    return {
        "CreateDatasetGroup": backend.create_dataset_group,
        "ListDatasetGroups": backend.list_dataset_groups,
        "CreateSchema": backend.create_schema,
        "CreateDataset": backend.create_dataset,
        "ListDatasets": backend.list_datasets,
        "CreateDatasetImportJob": backend.create_dataset_import_job,
        "DescribeDatasetImportJob": backend.describe_dataset_import_job,
        "ListDatasetImportJobs": backend.list_dataset_import_jobs,
    }
