"""Local emulator for Rekognition Custom Labels datasets and Personalize dataset import jobs."""

from statusmon_emulator.emulator import Emulator

__all__ = ["Emulator"]
