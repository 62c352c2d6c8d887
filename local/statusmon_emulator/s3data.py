"""Reading manifests and CSV files through a boto3 S3 client (moto server locally)."""

from __future__ import annotations

import threading
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError


class S3ReadError(Exception):
    """Why an object could not be read: ``missing``, ``denied``, ``too_large`` or ``unavailable``."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind


_MISSING = {"NoSuchKey", "NoSuchBucket", "404", "NotFound"}
_DENIED = {"AccessDenied", "403", "Forbidden", "AllAccessDisabled"}


def split_s3_uri(uri: str) -> tuple[str, str] | None:
    if not uri.startswith("s3://"):
        return None
    bucket, _, key = uri[5:].partition("/")
    return (bucket, key) if bucket else None


class S3Reader:
    def __init__(self, endpoint_url: str | None, region: str) -> None:
        self._endpoint_url = endpoint_url
        self._region = region
        self._client: Any = None
        self._lock = threading.Lock()

    def _s3(self) -> Any:
        with self._lock:
            if self._client is None:
                # None lets boto3 honour AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL.
                self._client = boto3.client(
                    "s3",
                    endpoint_url=self._endpoint_url,
                    region_name=self._region,
                    config=Config(retries={"mode": "standard", "max_attempts": 2}, connect_timeout=5),
                )
            return self._client

    @staticmethod
    def _translate(exc: ClientError) -> S3ReadError:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in _MISSING:
            return S3ReadError("missing", code)
        if code in _DENIED:
            return S3ReadError("denied", code)
        return S3ReadError("unavailable", code)

    def read(self, bucket: str, key: str, max_bytes: int | None = None) -> bytes:
        try:
            response = self._s3().get_object(Bucket=bucket, Key=key)
            size = int(response.get("ContentLength", 0))
            if max_bytes is not None and size > max_bytes:
                response["Body"].close()
                raise S3ReadError("too_large", f"{size} bytes")
            return bytes(response["Body"].read())
        except ClientError as exc:
            raise self._translate(exc) from exc
        except BotoCoreError as exc:
            raise S3ReadError("unavailable", str(exc)) from exc

    def list_keys(self, bucket: str, prefix: str) -> list[str]:
        try:
            paginator = self._s3().get_paginator("list_objects_v2")
            keys: list[str] = []
            for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
                keys.extend(obj["Key"] for obj in page.get("Contents", []))
            return keys
        except ClientError as exc:
            raise self._translate(exc) from exc
        except BotoCoreError as exc:
            raise S3ReadError("unavailable", str(exc)) from exc
