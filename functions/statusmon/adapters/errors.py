"""Our own exceptions for AWS failures, decided by error codes and exception types, never messages."""

from __future__ import annotations

from botocore.exceptions import (
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
)

THROTTLING_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "ThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "SlowDown",
    }
)


class AwsError(Exception):
    """An AWS call failed; ``str(error)`` is one line saying what to fix."""


class ThrottledError(AwsError):
    """The service throttled the call beyond botocore's retries; the next sweep catches up."""


class NotFoundError(AwsError):
    """The named AWS resource (table, topic, stack, dataset) does not exist."""


class AccessDeniedError(AwsError):
    """The credentials may not make the call: asking again will not help."""


class EnvironmentProblemError(AwsError):
    """Credentials, region or endpoint are not usable (see :func:`environment_problem`)."""


class TableMissingError(NotFoundError):
    """The status table does not exist."""

    def __init__(self, table_name: str) -> None:
        super().__init__(
            f"table {table_name!r} not found: set STATUSMON_TABLE_NAME to the stack's TableName output "
            "(or run `statusmon local-setup` against a local endpoint)"
        )


def error_code(exc: BaseException) -> str | None:
    for error in _chain(exc):
        if isinstance(error, ClientError):
            return str(error.response.get("Error", {}).get("Code", "")) or None
    return None


def _chain(exc: BaseException | None) -> list[BaseException]:
    """The exception and what caused it (PynamoDB keeps the botocore error on ``.cause``)."""
    chain: list[BaseException] = []
    while exc is not None and exc not in chain:
        chain.append(exc)
        exc = getattr(exc, "cause", None) or exc.__cause__
    return chain


def environment_problem(exc: BaseException) -> str | None:
    """A one-line fix for credentials, region and endpoint problems, or None."""
    for error in _chain(exc):
        if isinstance(error, NoCredentialsError | PartialCredentialsError):
            return (
                "no AWS credentials found: pass --profile or set AWS_PROFILE, or set AWS_ACCESS_KEY_ID "
                "and AWS_SECRET_ACCESS_KEY (any values work against a local endpoint)"
            )
        if isinstance(error, NoRegionError):
            return "no AWS region configured: pass --region or set AWS_REGION (for example us-east-1)"
        if isinstance(error, ProfileNotFound):
            return (
                f"AWS profile {error.kwargs.get('profile', '')!r} (AWS_PROFILE) is not in the config or "
                "credentials file: `aws configure list-profiles` lists them"
            )
        if isinstance(error, EndpointConnectionError):
            return (
                f"cannot reach {error.kwargs.get('endpoint_url', 'the endpoint')}: is the service "
                "running, and is AWS_ENDPOINT_URL right?"
            )
    return None


def translate(exc: BaseException, what: str) -> AwsError:
    """Map a botocore/PynamoDB failure of ``what`` (e.g. "reading table X") to one of ours."""
    problem = environment_problem(exc)
    if problem:
        return EnvironmentProblemError(problem)
    code = error_code(exc)
    if code in THROTTLING_CODES:
        return ThrottledError(f"{what}: throttled by AWS ({code}); the next sweep catches up")
    if code in {"ResourceNotFoundException", "NotFoundException", "NotFound"}:
        return NotFoundError(f"{what}: not found")
    if code in {"AccessDeniedException", "AccessDenied", "UnrecognizedClientException"}:
        return AccessDeniedError(f"{what}: access denied ({code}); check the credentials' IAM permissions")
    detail = code or type(exc).__name__
    return AwsError(f"{what} failed: {detail}")
