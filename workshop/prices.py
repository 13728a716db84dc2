"""The AWS prices the workshop quotes, in one place: the slides (slides/build.py) and the lessons
that price things (notebooks/src/08_production.py, 09_documents.py) take them from here.

Prices are parameters, not facts: they differ by region and AWS changes them. Each says where and
when it was read; read them again before you plan with them (free tier ignored, first tiers:
6 billion GB-seconds a month for Lambda, 333 million requests a month for a REST API):

- https://aws.amazon.com/lambda/pricing/
- https://aws.amazon.com/api-gateway/pricing/
"""

from __future__ import annotations

#: US$, as published by AWS for PRICES["region"], read on PRICES["read"]; SnapStart's two prices
#: are from another region and date (PRICES["snapstart_region"], PRICES["snapstart_read"]).
PRICES = {
    "read": "2026-11-22",
    "region": "eu-central-1",
    # Lambda: duration, per GB-second (memory in GB x billed seconds, rounded up to the ms).
    "lambda_usd_per_gb_second": 0.0000166667,  # x86_64
    # arm64 (Graviton), 20 % below x86_64's: AWS's published price as the author knew it on the
    # date above, not re-read from the page then. Check it.
    "lambda_arm64_usd_per_gb_second": 0.0000133334,
    "lambda_usd_per_million_requests": 0.20,  # either architecture
    # API Gateway, per million requests.
    "rest_api_usd_per_million": 3.50,  # REST API (what we deploy: API keys, usage plans)
    "http_api_usd_per_million": 1.00,  # HTTP API
    # SnapStart for Python: its snapshot cache, per GB-second while a published version with
    # SnapStart on exists (at least 3 hours are billed), and each restore, per GB of memory.
    # Read for us-east-1 at SnapStart for Python's launch (November 2024), NOT re-read since and
    # not for the region above: read both again before relying on them.
    "snapstart_read": "2024-11",
    "snapstart_region": "us-east-1",
    "snapstart_cache_usd_per_gb_second": 0.0000015046,
    "snapstart_restore_usd_per_gb": 0.0001397998,
}

#: Lambda's duration price for each `provider.architecture` value.
USD_PER_GB_SECOND = {
    "x86_64": PRICES["lambda_usd_per_gb_second"],
    "arm64": PRICES["lambda_arm64_usd_per_gb_second"],
}
