"""statusmon: status monitor for Rekognition Custom Labels datasets and Personalize import jobs."""

__version__ = "0.1.0"
