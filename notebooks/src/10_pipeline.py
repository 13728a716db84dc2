# %% [markdown]
# # 10 · The SmartCat pipeline: asynchronous, at least once, counted once
#
# A customer's PDF has many pages, some scanned, and OCR takes about a second a page (lesson
# 09): too slow to answer an HTTP request with. So the API accepts the PDF at once (`202
# Accepted`), and Lambda functions fed by SQS queues read the pages in the background. We run
# that pipeline by hand against local AWS, then break it on purpose: SQS delivers every message
# *at least* once, never exactly once.
#
# **What you will learn**
#
# - the REST pattern for long work: `202 Accepted` + `Location`, poll, `303 See Other` to the output;
# - the pipeline's steps (split → page → aggregate), Lambda's SQS event, `batchItemFailures`;
# - idempotent handlers: DynamoDB conditional writes and transactions; the dead-letter queue.
#
# **Prerequisites:** lesson 09 (the page classifier; `make document-model` builds it), lesson 03
# (Flask's test client, local AWS). Nothing to install beyond the workshop's venv.
#
# **Teaching:** 25 min · **Exercises:** 25 min

# %% [markdown]
# ## Setup
#
# Run this cell first; it is safe to run again. It starts local AWS if none runs (under `make lab`
# it uses the stack's) and creates this lesson's **own** table, bucket and queues, as
# `serverless.yml` declares them: `make lab`'s worker polls the stack's queues and would take the
# messages this lesson hands to the handlers itself. The app and the pipeline get settings that
# name these resources (on Lambda the same code reads them from the environment).

# %%
import io
import json
import os
import uuid
from collections import Counter

import boto3
import pypdfium2 as pdfium

from workshop import ROOT
from workshop.local_aws import create_pipeline, create_tables, ensure_local_aws, pipeline_functions
from workshop.smartcat_corpus import render_document, scan
from workshop.worker import Route, Worker
from workshop_app import create_app, settings
from workshop_app.smartcat.classifier import PageClassifier
from workshop_app.smartcat.job_files import page_key
from workshop_app.smartcat.pipeline import Pipeline

endpoint = ensure_local_aws()
PREFIX = f"lesson10-{os.getpid()}"  # one set of resources per kernel: re-running reuses them
create_tables({"JOBS_TABLE": f"{PREFIX}-jobs"}, endpoint)
config = {
    **settings.from_env(),
    **create_pipeline(endpoint, f"{PREFIX}-documents", prefix=PREFIX),
    "JOBS_TABLE": f"{PREFIX}-jobs",
    "DOCUMENT_MODEL_URI": str(ROOT / "models" / "documents"),
    "FEATURES": "jobs",
}
PageClassifier.load(config["DOCUMENT_MODEL_URI"])  # fails here, with the reason, if it is missing
client = create_app({"TESTING": True, **config}).test_client()
pipeline = Pipeline(config)  # handlers.py's Lambda entry points: Pipeline(settings.from_env())
sqs, dynamodb = boto3.client("sqs"), boto3.client("dynamodb")
results_table = f"{PREFIX}-results"  # the exercises' table (the jobs table's key schema)
create_tables({"JOBS_TABLE": results_table}, endpoint)
deliveries = Counter()  # (step, message body) -> times a handler got it (exercise 1's check)


# extra code – the worker: serverless.yml's SQS functions on this lesson's queues, counting deliveries
def route(step, f):
    def handler(event, context=None):  # Lambda's signature
        deliveries.update((step, record["body"]) for record in event["Records"])
        return getattr(pipeline, step)(event)

    return Route(step, config[f"{f['queue']}_URL"], handler, f["batch_size"], f["timeout"])


worker = Worker([route(step, function) for step, function in pipeline_functions().items()])


# extra code – an SQS record as Lambda hands it over (the fields the exercises' handlers read)
def sqs_record(body, delivery=1, message_id=None):
    body = body if isinstance(body, str) else json.dumps(body)
    attributes = {"ApproximateReceiveCount": str(delivery)}
    return {"messageId": message_id or uuid.uuid4().hex, "body": body, "attributes": attributes}


# extra code – a customer's upload: a payslip, a 2-page bank statement, a scanned ID card
bundle, buffer = pdfium.PdfDocument.new(), io.BytesIO()
for data in [render_document("payslip", 21), render_document("bank_statement", 22)]:
    bundle.import_pages(pdfium.PdfDocument(data))
bundle.import_pages(pdfium.PdfDocument(scan(render_document("id_card", 23), 23)))
bundle.save(buffer)
pdf, pdf_pages = buffer.getvalue(), len(bundle)
bundle.close()
worker.run_until_idle(timeout=120)  # a clean start: nothing left over from an earlier run
print(f"local AWS at {endpoint}; queues and table prefixed {PREFIX!r}; a {pdf_pages}-page PDF")

# %% [markdown]
# ## 1. The pipeline at a glance: three functions, three queues (each with a dead-letter queue)
#
# ```
# POST /jobs         checks the PDF, stores it, answers 202 Accepted
#   │ S3 notification → split queue
# split              one PDF and one message per page; job: running
#   │ pages queue, one message per page
# page (×N)          text layer or OCR, classify; record the page and count it  ──▶  jobs table
#   │ aggregate queue, from the page that completes the job
# aggregate          group the pages into documents, write the output; job: done
# ```

# %% [markdown]
# ## 2. Upload: 202 Accepted
#
# The API reads only what is cheap: the content type, the size, that PDFium opens the file and how
# many pages it has. It stores the PDF under `uploads/` and answers before any page is read.

# %%
response = client.post("/jobs", data=pdf, headers={"Content-Type": "application/pdf"})
job_url = response.headers["Location"]
job_id = response.get_json()["job_id"]
print(response.status_code, response.status, "Location:", job_url)
print(json.dumps(response.get_json(), indent=2))

# %% [markdown]
# Nobody called the pipeline: S3 sent an *event notification* to the split queue (in AWS, and in
# moto too). This is the event the split function gets: a batch of `Records`, each an SQS
# message whose body is S3's event.

# %%
records = worker.receive("split", wait_seconds=1)  # Setup's worker took S3's initial test event
shown = {**records[0], "body": json.loads(records[0]["body"])}
print(json.dumps(shown, indent=2)[:1500])

# %% [markdown]
# ## 3. Split, page, aggregate — by hand
#
# `pipeline.split(event)` is what the split function runs. It answers with the messages that
# failed; none means "delete them all", which Lambda then does (here, we do).

# %%
print(pipeline.split({"Records": records}))
for record in records:
    sqs.delete_message(QueueUrl=config["SPLIT_QUEUE_URL"], ReceiptHandle=record["receiptHandle"])
print(client.get(job_url).get_json())

# %% [markdown]
# The job is `running` and knows its page count. Split wrote one PDF per page to S3 and sent a
# message per page (job id, page number, page count). The page handler reads each page (its text
# layer, or OCR for the scanned ID card), classifies it, and records it *with* the job's counter:

# %%
page_records = worker.receive("page")
print([json.loads(r["body"]) for r in page_records])
print(pipeline.page({"Records": page_records}))
for record in page_records:
    sqs.delete_message(QueueUrl=config["PAGES_QUEUE_URL"], ReceiptHandle=record["receiptHandle"])
for page in pipeline.jobs.pages(job_id):
    print(page["page"], page["label"], page["confidence"], page["method"], f"{page['seconds']} s")
print(client.get(job_url).get_json())

# %% [markdown]
# The handler that counted the last page sent a message to the aggregate queue. Aggregate groups
# consecutive pages with one label into documents, writes the output, marks the job `done`, and
# from then on `GET /jobs/{id}` answers `303 See Other`:

# %%
worker.run_until_idle(timeout=60)  # what Lambda does in the background: the aggregate message
response = client.get(job_url)
print(response.status_code, response.status, "Location:", response.headers["Location"])
output = client.get(response.headers["Location"]).get_json()
print(json.dumps(output["documents"], indent=2))

# %% [markdown]
# ## 4. At least once: the same message twice
#
# SQS may deliver a message again: when a function times out, or dies after its work but before
# the message is deleted, or just because. We hand the page handler a message it has handled:

# %%
before = pipeline.jobs.get(job_id)["pages_done"]
print(pipeline.page({"Records": [{**page_records[0], "messageId": "again"}]}))
print("pages done before:", before, "- after the repeat:", pipeline.jobs.get(job_id)["pages_done"])

# %% [markdown]
# Counted once. "Check, then write" is not enough: two copies handled *at the same moment* both
# pass the check. A **conditional write** makes DynamoDB itself refuse the second one:

# %%
item = {"job_id": {"S": uuid.uuid4().hex}, "item": {"S": "page#00001"}, "label": {"S": "payslip"}}
absent = "attribute_not_exists(job_id)"  # no item with this key (job_id, item) yet
for delivery in (1, 2):
    try:
        dynamodb.put_item(TableName=results_table, Item=item, ConditionExpression=absent)
        print(f"delivery {delivery}: written")
    except dynamodb.exceptions.ConditionalCheckFailedException:
        print(f"delivery {delivery}: already there, nothing written (and that is a success)")

# %% [markdown]
# The page handler writes the page record and the job's counter in **one transaction**
# (`transact_write_items`; `JobStore._record` in workshop_app/smartcat/jobs_table.py): both or
# neither, so a function that dies between the two cannot leave a page recorded but uncounted.
# The job moves `running → done` on the condition `status = running`: exactly once.

# %%
print("finish again:", pipeline.jobs.finish(job_id, "done"))  # the condition fails: False
print("record page 1 again:", pipeline.jobs.record_page(job_id, 1, {"label": "x"}))

# %% [markdown]
# ## 5. A message that keeps failing
#
# After `maxReceiveCount` deliveries (the queue's redrive policy) SQS moves a message to the
# dead-letter queue, and the job would wait forever for that page. So on the *last* delivery the
# handler records the page as failed, and the job ends `failed` with a reason. We simulate the
# last delivery of a page whose file is gone from S3. (A page PDFium refuses, corrupt or a
# compression bomb, fails at once: its bytes will not change.)

# %%
redrive = sqs.get_queue_attributes(QueueUrl=config["PAGES_QUEUE_URL"], AttributeNames=["RedrivePolicy"])
print("pages queue:", redrive["Attributes"]["RedrivePolicy"])
last_delivery = config["MAX_RECEIVE_COUNT"]  # the queues' maxReceiveCount: serverless.yml sets both
broken = client.post("/jobs", data=pdf, headers={"Content-Type": "application/pdf"}).get_json()["job_id"]
worker.poll("split", wait_seconds=1)
boto3.client("s3").delete_object(Bucket=config["DOCUMENTS_BUCKET"], Key=page_key(broken, 2))
received = worker.receive("page")
poison = next(r for r in received if json.loads(r["body"])["page"] == 2)
last = {**poison, "attributes": {**poison["attributes"], "ApproximateReceiveCount": str(last_delivery)}}
print(pipeline.page({"Records": [last]}))  # logs the error (as CloudWatch would show), reports it
sqs.delete_message(QueueUrl=config["PAGES_QUEUE_URL"], ReceiptHandle=poison["receiptHandle"])
worker.handle("page", [r for r in received if r is not poison])  # the other pages, as usual
worker.run_until_idle(timeout=60)
print(json.dumps(client.get(f"/jobs/{broken}").get_json(), indent=2))

# %% [markdown]
# ## Exercises
#
# ### Exercise 1: deliver a whole job's messages twice
#
# Upload `pdf` again and set `twice_id` to the new job's id. Then handle **every** message twice:
# for each queue in turn (`"split"`, `"page"`, `"aggregate"`), until it is empty, receive a batch
# with `worker.receive(name, wait_seconds=1)` and hand the *same* records to
# `worker.handle(name, records)` twice (the first call deletes them; the second is the duplicate).
#
# <details><summary>Hint</summary>
#
# `for name in ("split", "page", "aggregate"):`, in it `while records := worker.receive(name,
# wait_seconds=1):` with the two `worker.handle` calls.
# </details>

# %% tags=["solution"]
# Exercise 1: upload pdf, set twice_id, handle every batch of every queue twice.

twice_id = client.post("/jobs", data=pdf, headers={"Content-Type": "application/pdf"}).get_json()["job_id"]
for name in ("split", "page", "aggregate"):
    while records := worker.receive(name, wait_seconds=1):
        worker.handle(name, records)
        worker.handle(name, records)

# %% tags=["check"]
from workshop.exercise import answer, check

twice = client.get(f"/jobs/{answer('twice_id', globals())}").get_json()
check(twice.get("status") == "done", f"the job is {twice.get('status')!r}: empty each queue in turn")
mine = {key: n for key, n in deliveries.items() if twice["job_id"] in key[1]}
once = sorted({step for (step, _), n in mine.items() if n < 2})
check(not once, f"some {' and '.join(once)} messages were handled once: call worker.handle twice per batch")
counted = (twice["pages_done"], twice["pages_total"])
check(counted == (pdf_pages, pdf_pages), f"pages done, total: {counted}; each page must count once")
print(f"✔ {len(mine)} messages, each handled at least twice; every page counted once")

# %% [markdown]
# ### Exercise 2: an idempotent handler
#
# Write `record_once`, an SQS handler `(event, context)` for records whose body is JSON
# `{"job_id", "page", "label"}`: store one item per page in `results_table` (key `job_id`,
# `item` = `f"page#{page:05d}"`) with its `label` and `delivery` (`ApproximateReceiveCount` from the
# record's `attributes`). A page keeps the item its first delivery wrote; a repeat is a success
# (`{"batchItemFailures": []}`). The check delivers a message twice (Setup's `sqs_record`).
#
# <details><summary>Hint</summary>
#
# Section 4's conditional `put_item` with `ConditionExpression="attribute_not_exists(job_id)"`,
# in a loop over `event["Records"]`; catch `dynamodb.exceptions.ConditionalCheckFailedException`
# and carry on. Values are typed: `{"S": "payslip"}`.
# </details>

# %% tags=["solution"]
# Exercise 2: define record_once(event, context), writing each page's first result only.


def record_once(event, context=None):
    for record in event["Records"]:
        body = json.loads(record["body"])
        item = {"job_id": {"S": body["job_id"]}, "item": {"S": f"page#{body['page']:05d}"}}
        item["label"] = {"S": body["label"]}
        item["delivery"] = {"N": record["attributes"]["ApproximateReceiveCount"]}
        try:
            dynamodb.put_item(
                TableName=results_table, Item=item, ConditionExpression="attribute_not_exists(job_id)"
            )
        except dynamodb.exceptions.ConditionalCheckFailedException:
            pass  # delivered before: the first result stays
    return {"batchItemFailures": []}


# %% tags=["check"]
from workshop.exercise import answer, check

handler, job = answer("record_once", globals()), uuid.uuid4().hex
message = {"job_id": job, "page": 1, "label": "payslip"}
try:  # the same message, delivered twice
    answers = [handler({"Records": [sqs_record(message, n, "m1")]}, None) or {} for n in (1, 2)]
except Exception as error:  # a repeat is not an error
    check(False, f"record_once raised {error!r}: a page that has its item already is a success")
key = {"job_id": {"S": job}, "item": {"S": "page#00001"}}
item = dynamodb.get_item(TableName=results_table, Key=key, ConsistentRead=True).get("Item", {})
check("label" in item and "delivery" in item, f"results_table holds {item or 'nothing'} for {key}")
delivery = str(next(iter(item["delivery"].values())))
check(delivery == "1", f"the item says delivery {delivery}: the repeat overwrote it; write only if absent")
failures = [a.get("batchItemFailures") for a in answers]
check(failures == [[], []], f"answered {failures}: a repeat reported failed comes back again and again")
print("✔ delivered twice, written once: the first delivery's result stays")

# %% [markdown]
# ### Exercise 3: count each page once, and fail one message, not the batch
#
# Write `count_once`, a handler like `record_once` (no `delivery` needed) that also adds 1 to
# `pages_done` on the job's item (`item` = `"job"`) **in the same transaction** as the page's
# item: a page counts once however often it comes. A record it cannot read (not JSON, a key
# missing) goes into `batchItemFailures` as `{"itemIdentifier": record["messageId"]}`; the rest
# of the batch is still handled.
#
# <details><summary>Hint</summary>
#
# `dynamodb.transact_write_items(TransactItems=[{"Put": {"TableName": ..., "Item": ...,
# "ConditionExpression": ...}}, {"Update": {"TableName": ..., "Key": ..., "UpdateExpression":
# "ADD pages_done :one", "ExpressionAttributeValues": {":one": {"N": "1"}}}}])`. A failed
# condition cancels the transaction: `dynamodb.exceptions.TransactionCanceledException`. Wrap
# each record in its own `try`; `JobStore._record` does the same.
# </details>

# %% tags=["solution"]
# Exercise 3: define count_once(event, context): page item + job counter in one transaction;
# report unreadable records in batchItemFailures.


def count_once(event, context=None):
    failures = []
    for record in event["Records"]:
        try:
            body = json.loads(record["body"])
            job, page = {"S": str(body["job_id"])}, {"S": f"page#{int(body['page']):05d}"}
            item = {"job_id": job, "item": page, "label": {"S": str(body["label"])}}
        except (ValueError, KeyError, TypeError):
            failures.append({"itemIdentifier": record["messageId"]})
            continue
        put = {"TableName": results_table, "Item": item}
        put["ConditionExpression"] = "attribute_not_exists(job_id)"  # the page has no result yet
        count = {"TableName": results_table, "Key": {"job_id": job, "item": {"S": "job"}}}
        count["UpdateExpression"] = "ADD pages_done :one"
        count["ExpressionAttributeValues"] = {":one": {"N": "1"}}
        try:
            dynamodb.transact_write_items(TransactItems=[{"Put": put}, {"Update": count}])
        except dynamodb.exceptions.TransactionCanceledException:
            pass  # the page was counted before
    return {"batchItemFailures": failures}


# %% tags=["check"]
from workshop.exercise import answer, check

handler, job = answer("count_once", globals()), uuid.uuid4().hex
first, second = ({"job_id": job, "page": n, "label": "payslip"} for n in (1, 2))
batch = [sqs_record(first, 1, "p1"), sqs_record(second, 1, "p2"), sqs_record("not json", 1, "bad")]
try:
    answered = handler({"Records": batch}, None) or {}
except Exception as error:  # one bad record must not fail the batch
    check(False, f"count_once raised {error!r}: catch it per record, name it in batchItemFailures")
failed = sorted(f["itemIdentifier"] for f in answered.get("batchItemFailures", []))
check(failed == ["bad"], f"batchItemFailures named {failed}: name the unreadable record alone")
handler({"Records": [sqs_record(first, 2, "p1"), sqs_record(second, 2, "p2")]}, None)
handler({"Records": [sqs_record(first, 3, "p1")]}, None)
keys = {item: {"job_id": {"S": job}, "item": {"S": item}} for item in ("job", "page#00001", "page#00002")}
items = {item: dynamodb.get_item(TableName=results_table, Key=key) for item, key in keys.items()}
missing = [item for item, got in items.items() if "Item" not in got]
check(not missing, f"no {missing} item(s) for job {job}: write the page's item and count it on the job")
counted = int(items["job"]["Item"].get("pages_done", {}).get("N", 0))
check(counted == 2, f"pages_done is {counted} after 2 pages, delivered 5 times: count only what you record")
print("✔ 2 pages delivered 5 times: 2 items, counted 2; the unreadable record alone comes back")

# %% [markdown]
# ## Key points
#
# - Long work gets `202 Accepted` and a `Location` to poll, then `303 See Other` to its output;
#   S3 starts the pipeline, split fans out a message per page, the last page triggers aggregate.
# - SQS delivers at least once: a conditional write records a result once, a transaction ties it
#   to its counter, a conditional status change finishes a job once. A repeat is a success.
# - Handlers report partial batch failures; a message's last delivery records its failure before
#   it goes to the dead-letter queue, so the job ends `failed` instead of hanging.
# - Settings name the resources, so a lesson, a test and a stack each get their own.
