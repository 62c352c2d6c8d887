"""AWS-style errors the emulator answers with."""

from __future__ import annotations


class AwsError(Exception):
    """An error returned to the client as an AWS JSON 1.1 error document."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
