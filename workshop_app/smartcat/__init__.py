"""SmartCat: label every page of customers' PDF paperwork by document type, asynchronously."""
