#!/usr/bin/env bash
# The Spark engine's CI test: the job's numbers against the Rust engine's summary.json and
# usage_<org>.csv (see test_spark.py). Needs Java 17+, a Python with PySpark (SPARK_PYTHON, or
# the venv's python on PATH), and the checkout's debug binary (built here when missing; after
# `cargo test` it is there). Runs Spark in local mode on two cores; nothing is timed.
set -euo pipefail
cd "$(dirname "$0")/../.."
python=${SPARK_PYTHON:-python3}
if [ -z "${APIUSAGE_BIN:-}" ] && [ ! -x target/debug/apiusage ]; then
  echo "== cargo build (engines/spark/test.sh needs target/debug/apiusage)"
  cargo build --bin apiusage
fi
# spark-submit starts its Python workers with PYSPARK_PYTHON; keep them on the same interpreter.
export PYSPARK_PYTHON=${PYSPARK_PYTHON:-$python}
export PYSPARK_DRIVER_PYTHON=${PYSPARK_DRIVER_PYTHON:-$python}
exec "$python" engines/spark/test_spark.py
