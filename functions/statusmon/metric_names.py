"""CloudWatch metric names and dimensions: shared by the functions and the stack's dashboard/alarms."""

NAMESPACE = "statusmon"
SERVICE_NAME = "statusmon"  # POWERTOOLS_SERVICE_NAME: Powertools adds it as the "service" dimension
SOURCE_DIMENSION = "source"  # rekognition | personalize, added by the poll functions

SWEEP_SUCCEEDED = "SweepSucceeded"  # 1 per sweep that finished a complete listing
SWEEP_DURATION = "SweepDurationMs"
RESOURCES_SEEN = "ResourcesSeen"
TRANSITIONS = "Transitions"
AWS_CALLS = "AwsCalls"
THROTTLES = "Throttles"
READ_FAILURES = "ReadFailures"  # unreadable pages, items and answers, failed reads and writes
UNKNOWN_STATUSES = "UnknownStatuses"  # status strings outside the vocabulary, in changes of this sweep
ALERTS_SENT = "AlertsSent"
