"""The shared state store (issue 21): per-job write locks, single-use markers, the request budget.

`base` is the interface the core uses; `memory` the in-process default; `redis_store` the shared
one (imported only for a Redis setting); `degraded` what happens when it is unreachable; `factory`
builds one from the setting (config/store_setting.py); `locks.hold` is how a write holds a job; `metrics` their Prometheus names.
"""
