"use strict";
// The demo page's behaviour: plain DOM and fetch, no build step. Every URL is relative to the
// app's root, which the server writes into <body data-base> ("/" locally, "/dev/" behind an
// API Gateway stage). Data from the API is shown with textContent, never parsed as HTML.

const base = document.body.dataset.base;
const KEY_STORAGE = "serverless-ml-workshop.api-key";
const $ = (id) => document.getElementById(id);

class ApiError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

function showError(error) {
  const box = $("error");
  box.textContent = error instanceof ApiError ? `${error.code}: ${error.message}` : String(error);
  box.hidden = false;
}

function clearError() {
  $("error").hidden = true;
  $("error").textContent = "";
}

// One place that talks to the API: adds the key, parses JSON, turns error bodies into ApiError.
async function api(method, path, { json, body, contentType } = {}) {
  const headers = {};
  const key = $("api-key").value.trim();
  if (key) headers["x-api-key"] = key;
  let payload;
  if (json !== undefined) {
    payload = JSON.stringify(json);
    headers["Content-Type"] = "application/json";
  } else if (body !== undefined) {
    payload = body;
    headers["Content-Type"] = contentType;
  }
  let response;
  try {
    response = await fetch(base + path, { method, headers, body: payload });
  } catch (error) {
    throw new ApiError("network_error", `could not reach the API (${error.message})`);
  }
  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    throw new ApiError(data?.error ?? `http_${response.status}`,
                       data?.message ?? `${response.status} ${response.statusText}`);
  }
  return { response, data };
}

// Run an action from a button: one at a time per button, errors shown in the alert box.
function action(button, run) {
  return async (event) => {
    event?.preventDefault();
    clearError();
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    try {
      await run();
    } catch (error) {
      showError(error);
    } finally {
      button.disabled = false;
      button.removeAttribute("aria-busy");
    }
  };
}

// ---- API key ----------------------------------------------------------------------------
$("api-key").value = localStorage.getItem(KEY_STORAGE) ?? "";
$("api-key").addEventListener("input", () => {
  const key = $("api-key").value.trim();
  if (key) localStorage.setItem(KEY_STORAGE, key);
  else localStorage.removeItem(KEY_STORAGE);
});
$("forget-key").addEventListener("click", () => {
  localStorage.removeItem(KEY_STORAGE);
  $("api-key").value = "";
});

function cell(row, text, numeric = false) {
  const td = row.insertCell();
  td.textContent = text;
  if (numeric) td.className = "number";
  return td;
}

// ---- one car: predict, add ------------------------------------------------------------------
// The body is what the form says; the API validates it and its message is shown as it is.
// (A deployment without the car API has no car form.)
if ($("car-form")) {
function readCar() {
  const car = {};
  for (const el of $("car-form").elements) {
    if (!el.name) continue;
    const value = el.value.trim();
    if (el.tagName === "SELECT") car[el.name] = value;
    else if (el.type === "number") {
      if (value !== "") car[el.name] = Number(value);
      else if (el.hasAttribute("data-nullable")) car[el.name] = null;
      // an empty required number is left out: the API answers "missing field '...'"
    } else car[el.name] = value === "" ? null : value;
  }
  return car;
}

const mpg = (value) => `${value.toFixed(1)} mpg`;

$("car-form").addEventListener("submit", action($("predict"), async () => {
  const { data } = await api("POST", "predict", { json: readCar() });
  $("car-result").textContent =
    `Predicted: ${mpg(data.predicted_mpg)} (model ${data.model_id})`;
}));

$("add-car").addEventListener("click", action($("add-car"), async () => {
  const { data } = await api("POST", "cars", { json: readCar() });
  $("car-result").textContent =
    `Added ${data.name ?? "a car"} to the collection: predicted ${mpg(data.predicted_mpg)}`;
  await loadCars(null);
}));

// ---- the collection -----------------------------------------------------------------------
let nextToken = null;


function carRow(car) {
  const row = document.createElement("tr");
  row.dataset.carid = car.carid;
  cell(row, car.name ?? "(no name)");
  cell(row, car.year, true);
  cell(row, car.origin);
  cell(row, car.cylinders, true);
  cell(row, car.horsepower ?? "?", true);
  cell(row, car.weight, true);
  cell(row, car.predicted_mpg.toFixed(1), true);
  const remove = document.createElement("button");
  remove.type = "button";
  remove.className = "delete";
  remove.textContent = "Delete";
  remove.setAttribute("aria-label", `Delete ${car.name ?? "car " + car.carid}`);
  remove.addEventListener("click", action(remove, async () => {
    await api("DELETE", `cars/${encodeURIComponent(car.carid)}`);
    row.remove();
    $("car-result").textContent = `Deleted ${car.name ?? "the car"}`;
  }));
  row.insertCell().append(remove);
  return row;
}

async function loadCars(token) {
  const query = new URLSearchParams({ limit: $("page-size").value });
  if (token) query.set("next_token", token);
  $("cars").setAttribute("aria-busy", "true");
  let data;
  try {
    ({ data } = await api("GET", `cars?${query}`));
  } finally {
    $("cars").removeAttribute("aria-busy");
  }
  const body = $("cars").tBodies[0];
  body.replaceChildren(...data.cars.map(carRow));
  nextToken = data.next_token;
  $("next-page").disabled = !nextToken;
  if (data.cars.length) {
    $("cars-caption").textContent =
      `${token ? "More cars" : "Cars"}, with the model's prediction when they were stored`;
  } else {  // DynamoDB may hand out a token whose page turns out empty
    $("cars-caption").textContent = token ? "No more cars" : "No cars yet: add one with the form above";
  }
}

$("first-page").addEventListener("click", action($("first-page"), () => loadCars(null)));
$("page-size").addEventListener("change", action($("first-page"), () => loadCars(null)));
$("next-page").addEventListener("click", async (event) => {
  // the button is disabled while it runs, and stays so on the last page
  await action($("next-page"), () => loadCars(nextToken))(event);
  $("next-page").disabled = !nextToken;
});

loadCars(null).catch(showError);
}

// ---- SmartCat jobs ------------------------------------------------------------------------
// POST /jobs answers 202 with the job id; GET /jobs/{id} reports progress until the job is done,
// then answers 303 See Other -> /jobs/{id}/output, which fetch follows by itself.
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
let currentJob = null;

function showProgress(job) {
  const total = job.pages_total;
  const done = job.pages_done ?? 0;
  $("job-status").textContent = total
    ? `Job ${job.job_id}: ${job.status}, ${done} of ${total} pages labelled`
    : `Job ${job.job_id}: ${job.status}`;
  const bar = $("job-progress");
  bar.hidden = false;
  bar.max = total || 1;
  bar.value = total ? done : 0;
}

function showOutput(output) {
  const pages = $("pages");
  pages.tBodies[0].replaceChildren(...output.pages.map((page) => {
    const row = document.createElement("tr");
    cell(row, page.page, true);
    cell(row, page.label);
    cell(row, `${Math.round(page.confidence * 100)} %`, true);
    cell(row, page.method === "ocr" ? "OCR" : "text layer");
    return row;
  }));
  pages.hidden = false;
  const documents = $("documents");
  documents.tBodies[0].replaceChildren(...(output.documents ?? []).map((doc) => {
    const row = document.createElement("tr");
    cell(row, doc.label);
    cell(row, doc.first_page === doc.last_page ? `${doc.first_page}`
                                                 : `${doc.first_page}–${doc.last_page}`);
    return row;
  }));
  documents.hidden = !output.documents?.length;
  const bar = $("job-progress");
  bar.max = output.pages.length || 1;
  bar.value = bar.max;
  $("job-status").textContent =
    `Job ${output.job_id}: done, ${output.pages.length} pages labelled`;
}

async function follow(jobId) {
  let wait = 250;
  while (currentJob === jobId) {
    const { data } = await api("GET", `jobs/${encodeURIComponent(jobId)}`);
    if (currentJob !== jobId) return;  // cancelled meanwhile
    if (Array.isArray(data?.pages)) return showOutput(data);  // the 303 was followed
    if (data.status === "failed") {
      throw new ApiError("job_failed", data.reason ?? "the job failed");
    }
    if (data.status === "done") {  // a server that answers 200 instead of 303
      return showOutput((await api("GET", `jobs/${encodeURIComponent(jobId)}/output`)).data);
    }
    showProgress(data);
    await sleep(wait);
    wait = Math.min(wait * 1.5, 2000);
  }
}

if ($("job-form")) {
  $("job-form").addEventListener("submit", action($("upload"), async () => {
    const file = $("pdf").files[0];
    if (!file) throw new ApiError("no_file", "choose a PDF first");
    $("pages").hidden = $("documents").hidden = true;
    $("job-status").textContent = `Uploading ${file.name} …`;
    const { data } = await api("POST", "jobs", { body: file, contentType: "application/pdf" });
    currentJob = data.job_id;
    $("cancel-job").disabled = false;
    try {
      showProgress(data);
      await follow(data.job_id);
    } finally {
      if (currentJob === data.job_id) {
        currentJob = null;
        $("cancel-job").disabled = true;
      }
    }
  }));
  $("cancel-job").addEventListener("click", async () => {
    const jobId = currentJob;
    if (!jobId) return;
    currentJob = null;  // stops the polling loop
    $("cancel-job").disabled = true;
    clearError();
    try {
      await api("DELETE", `jobs/${encodeURIComponent(jobId)}`);
      $("job-status").textContent = `Job ${jobId}: cancelled`;
      $("job-progress").hidden = true;
    } catch (error) {
      showError(error);
    }
  });
}
