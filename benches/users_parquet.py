"""The users'-shape CSV logs (benches/users_shape.py) as typed Parquet, the way an Event Log
Object export or a lake copy stores them: one file per org, row groups of 250,000 rows, typed
columns (`Timestamp` as TIMESTAMP in microseconds, `IsApiLimitCounted` boolean, `StatusCode`
int32, `ApiVersion` double), the other fields as strings, Event Log Object names.

    target/bench-venv/bin/python benches/users_parquet.py CSV_DIR OUT_DIR

Deterministic for the same input. A measuring aid: nothing here is used by the tests.
"""

import os
import sys

import duckdb

src, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
con = duckdb.connect()
con.execute(f"""
    CREATE TABLE logs AS
    SELECT EVENT_TYPE AS EventType,
           CAST(CAST(TIMESTAMP_DERIVED AS TIMESTAMPTZ) AT TIME ZONE 'UTC' AS TIMESTAMP) AS "Timestamp",
           REQUEST_ID AS RequestId,
           ORGANIZATION_ID AS InternalOrganizationId,
           USER_ID AS UserId,
           USER_NAME AS UserName,
           API_FAMILY AS ApiFamily,
           CAST(API_VERSION AS DOUBLE) AS ApiVersion,
           API_RESOURCE AS ApiResource,
           CLIENT_NAME AS ClientName,
           HTTP_METHOD AS HttpMethod,
           CLIENT_IP AS ClientIp,
           lower(COUNTS_AGAINST_API_LIMIT) IN ('1', 'true') AS IsApiLimitCounted,
           CONNECTED_APP_ID AS ConnectedAppId,
           CONNECTED_APP_NAME AS ConnectedAppName,
           ENTITY_NAME AS EntityName,
           CAST(STATUS_CODE AS INTEGER) AS StatusCode,
           API_CLIENT_CATEGORY AS ApiClientCategory
    FROM read_csv('{src}/*.csv', header = true, all_varchar = true)
""")
orgs = [r[0] for r in con.execute("SELECT DISTINCT InternalOrganizationId FROM logs ORDER BY 1").fetchall()]
for org in orgs:
    path = os.path.join(out, f"ApiTotalUsage_{org}.parquet")
    con.execute(f"""
        COPY (SELECT * FROM logs WHERE InternalOrganizationId = '{org}' ORDER BY "Timestamp", RequestId)
        TO '{path}' (FORMAT parquet, ROW_GROUP_SIZE 250000)
    """)
print(f"wrote {len(orgs)} Parquet files into {out}")
