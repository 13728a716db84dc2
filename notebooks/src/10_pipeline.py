# %% [markdown]
# # 08 · The SmartCat pipeline: asynchronous, at least once, counted once
#
# Notebook 07 trained a model that labels a page of paperwork. A customer's PDF has many pages,
# some of them scanned, and reading a scanned page takes a second of OCR: too slow to answer an
# HTTP request with. So the API accepts the PDF and returns at once (`202 Accepted`), and a
# pipeline of Lambda functions fed by SQS queues reads the pages in the background. Here we run
# that pipeline on the laptop, one handler call at a time, against local AWS (a moto server), and
# then break it on purpose: SQS delivers every message *at least* once, never exactly once.
#
# **What you will learn**
#
# - the REST pattern for long work: `202 Accepted` + `Location`, poll, `303 See Other` to the output;
# - how the pipeline is cut into split → page → aggregate, and what each message carries;
# - what Lambda's SQS event looks like, and partial batch failures (`batchItemFailures`);
# - why every handler must be idempotent, and how conditional writes and a transaction in
#   DynamoDB count each page once and finish each job exactly once;
# - what happens to a message that keeps failing: the dead-letter queue, and a job that ends
#   `failed` with a reason instead of hanging.
#
# **Teaching:** 25 min · **Exercises:** 15 min

# %% [markdown]
# ## Setup
#
# Run this cell first; it is safe to run again. It starts local AWS if it is not running (with
# `make lab` it is), creates SmartCat's table, bucket and queues as `serverless.yml` declares
# them, and generates a customer's PDF with the corpus generator of notebook 07.

# %%
import io
import json
import os

import boto3
import matplotlib.pyplot as plt
import pypdfium2 as pdfium
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from workshop import ROOT
from workshop.local_aws import ensure_pipeline, pipeline_routes
from workshop.smartcat_corpus import render_document, scan
from workshop.worker import Worker
from workshop_app import create_app
from workshop_app.smartcat import handlers
from workshop_app.smartcat.classifier import PageClassifier
from workshop_app.smartcat.job_files import page_key

# The model `make document-model` built; the handlers read DOCUMENT_MODEL_URI, as on Lambda.
os.environ["DOCUMENT_MODEL_URI"] = str(ROOT / "models" / "documents")
PageClassifier.load(os.environ["DOCUMENT_MODEL_URI"])
resources = ensure_pipeline()
client = create_app({"TESTING": True}).test_client()
worker = Worker(pipeline_routes(os.environ))  # serverless.yml's three SQS functions
sqs = boto3.client("sqs")
pipeline = handlers.pipeline()  # what the Lambda entry points use: jobs, files, queues, model


# extra code – a customer's upload: a payslip, a 2-page bank statement, a scanned ID card
def customer_pdf() -> bytes:
    bundle = pdfium.PdfDocument.new()
    for data in (
        render_document("payslip", 21),
        render_document("bank_statement", 22),
        scan(render_document("id_card", 23), 23),
    ):
        bundle.import_pages(pdfium.PdfDocument(data))
    buffer = io.BytesIO()
    bundle.save(buffer)
    return buffer.getvalue()


def drain_all() -> None:
    """Run every handler until all queues are empty (what Lambda does in the background)."""
    worker.run_until_idle(timeout=120)


pdf = customer_pdf()
drain_all()  # a clean start: nothing left over from an earlier run
print(f"local AWS at {os.environ['AWS_ENDPOINT_URL']}; a {len(pdf):,}-byte PDF to classify")

# %% [markdown]
# ## 1. The pipeline at a glance
#
# Three functions, three queues, one table, one bucket. An arrow into a function is an SQS queue
# (each with a dead-letter queue); the diagram is drawn by the next cell, from the same names
# `serverless.yml` uses.

# %%
STEPS = [  # (x, y, name, what it does)
    (0.5, 2.0, "API\nPOST /jobs", "checks the PDF,\nstores it"),
    (3.0, 2.0, "S3\nuploads/<id>.pdf", "notifies the\nsplit queue"),
    (5.5, 2.0, "split", "one PDF and one\nmessage per page"),
    (8.0, 2.0, "page  (×N)", "text layer or OCR,\nclassify, count"),
    (10.5, 2.0, "aggregate", "group pages,\njob: done"),
    (8.0, 0.3, "DynamoDB jobs table", "job + page records"),
]
fig, ax = plt.subplots(figsize=(12, 3.6))
for x, y, name, what in STEPS:
    ax.add_patch(
        FancyBboxPatch(
            (x - 1, y - 0.45),
            2,
            0.9,
            boxstyle="round,pad=0.05",
            facecolor="#dbeafe" if y > 1 else "#fef3c7",
            edgecolor="#1e3a8a",
        )
    )
    ax.text(x, y + 0.12, name, ha="center", va="center", fontsize=10, weight="bold")
    ax.text(x, y - 0.75, what, ha="center", va="top", fontsize=8, color="#374151")
for (x1, y1, *_), (x2, y2, *_), label in [
    (STEPS[0], STEPS[1], "put"),
    (STEPS[1], STEPS[2], "split queue"),
    (STEPS[2], STEPS[3], "pages queue"),
    (STEPS[3], STEPS[4], "aggregate queue"),
]:
    ax.add_patch(
        FancyArrowPatch(
            (x1 + 1.05, y1), (x2 - 1.05, y2), arrowstyle="-|>", mutation_scale=15, color="#1e3a8a"
        )
    )
    ax.text((x1 + x2) / 2, y1 + 0.6, label, ha="center", fontsize=8, color="#1e3a8a")
ax.add_patch(
    FancyArrowPatch((8.0, 1.55), (8.0, 0.75), arrowstyle="<|-|>", mutation_scale=12, color="#92400e")
)
ax.set_xlim(-0.7, 11.7)
ax.set_ylim(-0.6, 3.0)
ax.axis("off")
ax.set_title("SmartCat: upload → split → page (in parallel) → aggregate")
plt.show()

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
# Nobody called the pipeline. S3 itself sent an *event notification* to the split queue when the
# object arrived — in AWS, and in moto too. Here is the event the split function will get, as
# Lambda hands it over: a batch of `Records`, each an SQS message whose body is S3's event.

# %%
records = worker.receive("split")
while records and "s3:TestEvent" in records[0]["body"]:  # S3 says hello when it is set up
    worker.handle("split", records)
    records = worker.receive("split")
event = {"Records": records}
shown = {**records[0], "body": json.loads(records[0]["body"])}
print(json.dumps(shown, indent=2)[:1800])

# %% [markdown]
# ## 3. Split, page, aggregate — by hand
#
# `handlers.split` is the function Lambda runs for the split queue. It answers with the messages
# that failed; an empty list means "delete them all".

# %%
print(handlers.split(event, None))
for record in records:  # we called the handler ourselves, so we delete, as Lambda would
    sqs.delete_message(QueueUrl=os.environ["SPLIT_QUEUE_URL"], ReceiptHandle=record["receiptHandle"])
print(client.get(job_url).get_json())

# %% [markdown]
# The job is `running` and knows its page count. Split wrote one PDF per page to S3 and sent one
# message per page — job id, page number, page count — ten per `SendMessageBatch`:

# %%
page_records = worker.receive("page")
print([json.loads(r["body"]) for r in page_records])

# %% [markdown]
# The page handler reads each page (its text layer, or OCR when it has none: the scanned ID card),
# classifies it, and stores the result *together with* the job's counter:

# %%
print(handlers.page({"Records": page_records}, None))
for record in page_records:
    sqs.delete_message(QueueUrl=os.environ["PAGES_QUEUE_URL"], ReceiptHandle=record["receiptHandle"])
for page in pipeline.jobs.pages(job_id):
    print(page["page"], page["label"], page["confidence"], page["method"], f"{page['seconds']} s")
print(client.get(job_url).get_json())

# %% [markdown]
# The handler that counted the last page sent one message to the aggregate queue. Aggregate
# groups consecutive pages with one label into documents, writes the output, and marks the job
# `done`. From then on `GET /jobs/{id}` answers `303 See Other`:

# %%
drain_all()
response = client.get(job_url)
print(response.status_code, response.status, "Location:", response.headers["Location"])
output = client.get(response.headers["Location"]).get_json()
print(json.dumps(output["documents"], indent=2))

# %% [markdown]
# ## 4. At least once: the same message twice
#
# SQS may deliver a message again: when a function times out, when it dies after its work but
# before the message is deleted, or just because (it is a distributed system). Let us send a page
# message that has already been handled, as SQS might:

# %%
job = pipeline.jobs.get(job_id)
duplicate = {"Records": [{**page_records[0], "messageId": "again"}]}
print(
    handlers.page(duplicate, None),
    "- done before:",
    job["pages_done"],
    "- now:",
    pipeline.jobs.get(job_id)["pages_done"],
)

# %% [markdown]
# Counted once. Two mechanisms make that true even when two workers handle copies *at the same
# moment*, where "check, then write" would let both pass the check:
#
# 1. The page record is written with the condition `attribute_not_exists(job_id)`, and the job's
#    `pages_done` is incremented in the **same DynamoDB transaction**: both happen or neither.
# 2. The job moves `running → done` with the condition `status = running`: of two aggregators,
#    exactly one succeeds.

# %%
print("finish again:", pipeline.jobs.finish(job_id, "done"))  # the condition fails: False
print("record page 1 again:", pipeline.jobs.record_page(job_id, 1, {"label": "x"}))

# %% [markdown]
# ## 5. A message that keeps failing
#
# Each queue has a redrive policy: after `maxReceiveCount` deliveries (3 here) SQS moves the message
# to the queue's dead-letter queue. If that were all, the job would wait forever for that page. So
# on the *last* delivery (`ApproximateReceiveCount` = 3) the handler first records the page as
# failed; the job then ends `failed` with a reason. We simulate the third delivery of a page whose
# file has gone missing from S3. (A page file that is there but that PDFium refuses, corrupt or a
# compression bomb, is not retried at all: its bytes will not change, so the handler records the
# page as failed at its first delivery.)

# %%
broken = client.post("/jobs", data=pdf, headers={"Content-Type": "application/pdf"}).get_json()
worker.poll("split")
boto3.client("s3").delete_object(Bucket=os.environ["DOCUMENTS_BUCKET"], Key=page_key(broken["job_id"], 2))
received = worker.receive("page")
poison = next(r for r in received if json.loads(r["body"])["page"] == 2)
third = {**poison, "attributes": {**poison["attributes"], "ApproximateReceiveCount": "3"}}
print(handlers.page({"Records": [third]}, None))  # reported failed: SQS will dead-letter it
sqs.delete_message(QueueUrl=os.environ["PAGES_QUEUE_URL"], ReceiptHandle=poison["receiptHandle"])
worker.handle("page", [r for r in received if r is not poison])  # the other pages, as usual
drain_all()
print(json.dumps(client.get(f"/jobs/{broken['job_id']}").get_json(), indent=2))

# %% [markdown]
# ## Exercises
#
# ### Exercise 1: documents from page labels
#
# The output's `documents` joins *consecutive* pages with the same label. Write
# `group(labels)` that turns a list of page labels (page 1 first) into that list of
# `{"label", "first_page", "last_page"}` dictionaries.


# %% tags=["solution"]
# Exercise 1: define group(labels) -> list of {"label", "first_page", "last_page"}.
def group(labels):
    documents = []
    for page, label in enumerate(labels, 1):
        if documents and documents[-1]["label"] == label:
            documents[-1]["last_page"] = page
        else:
            documents.append({"label": label, "first_page": page, "last_page": page})
    return documents


# %% tags=["check"]
# extra code – checks your answer to exercise 1
assert group([]) == []
assert group(["payslip", "payslip", "id_card", "payslip"]) == [
    {"label": "payslip", "first_page": 1, "last_page": 2},
    {"label": "id_card", "first_page": 3, "last_page": 3},
    {"label": "payslip", "first_page": 4, "last_page": 4},
]
assert group([p["label"] for p in output["pages"]]) == output["documents"]
print("Correct: the same documents as the pipeline's")

# %% [markdown]
# ### Exercise 2: deliver a whole job's messages twice
#
# Upload `pdf` again, then run the pipeline so that **every** message is handled twice: for each
# queue in turn (`"split"`, `"page"`, `"aggregate"`), receive a batch with `worker.receive(name)`
# and hand the *same* records to `worker.handle(name, records)` twice (the first call deletes
# them, the second is the duplicate), until the queue is empty. Set `twice_id` to the job's id.

# %% tags=["solution"]
# Exercise 2: upload pdf, handle every batch twice, set twice_id to the job id.
twice_id = client.post("/jobs", data=pdf, headers={"Content-Type": "application/pdf"}).get_json()["job_id"]
for name in ("split", "page", "aggregate"):
    while records := worker.receive(name):
        worker.handle(name, records)
        worker.handle(name, records)

# %% tags=["check"]
# extra code – checks your answer to exercise 2
twice = client.get(f"/jobs/{twice_id}").get_json()
assert twice["status"] == "done", f"the job should be done: {twice}"
assert twice["pages_done"] == twice["pages_total"] == 4, twice
assert client.get(f"/jobs/{twice_id}/output").get_json()["documents"] == output["documents"]
print("Correct: every message twice, every page once, the same documents")

# %% [markdown]
# ## Key points
#
# - Long work gets `202 Accepted` and a `Location` to poll; the job resource answers `303 See
#   Other` to its output when done, `409` before, and `DELETE` removes everything.
# - The upload starts the pipeline: S3 notifies the split queue. Split fans out one message per
#   page (job id, page number, page count), page workers run in parallel, and the last one to
#   count its page triggers aggregate.
# - SQS delivers at least once. Handlers are idempotent by construction: conditional writes and a
#   transaction count each page once; a conditional status change finishes each job once.
# - Handlers report partial batch failures; a message that fails `maxReceiveCount` times goes to
#   the dead-letter queue, and its last delivery records the failure so the job ends `failed`
#   with a reason.
# - The same handlers run on Lambda and in the local worker: what you test here is what deploys.
