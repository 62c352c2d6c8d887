"""Local mode: moto server and the emulator in-process, and a data pipeline driven through boto3.

Used by ``statusmon demo``, the end-to-end tests and the benchmarks; not needed in Lambda.
"""
