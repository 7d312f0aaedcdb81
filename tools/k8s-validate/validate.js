#!/usr/bin/env node
// Validates every object of rendered Kubernetes manifests (multi-document YAML from `helm template` or
// `kubectl kustomize`) against the Kubernetes OpenAPI schemas that the npm package kubernetes-models compiles in,
// with no cluster and no network. Prints one line per object (kind/name) and exits 1 if any object is invalid.
//
//   node validate.js FILE...     (or - / no argument: read standard input)
//
// What it catches: wrong types (a port as a string), missing required fields (a container without a name), bad enum
// values, unknown apiVersion/kind pairs. What it cannot: unknown field names, because the Kubernetes schemas allow
// extra properties (the API server drops or rejects them; these schemas say nothing).
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

const inputs = process.argv.slice(2);
const sources = inputs.length === 0 ? [["<stdin>", readFileSync(0, "utf8")]]
  : inputs.map(f => [f === "-" ? "<stdin>" : f, readFileSync(f === "-" ? 0 : f, "utf8")]);

// kubernetes-models has one module per kind: kubernetes-models/GROUP/VERSION/KIND, the core group as VERSION/KIND.
async function modelFor(apiVersion, kind) {
  try {
    const module = await import(`kubernetes-models/${apiVersion}/${kind}`);
    return module[kind];
  } catch (e) {
    if (e.code === "ERR_PACKAGE_PATH_NOT_EXPORTED" || e.code === "ERR_MODULE_NOT_FOUND") return undefined;
    throw e;
  }
}

let objects = 0, failures = 0;
for (const [file, text] of sources) {
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) {
      failures++;
      console.log(`FAIL ${file}: not YAML: ${doc.errors.map(e => e.message).join("; ")}`);
      continue;
    }
    const object = doc.toJS();
    if (object === null || object === undefined) continue;   // an empty document between two ---
    objects++;
    const name = object?.metadata?.name ?? "(no metadata.name)";
    const label = `${object?.kind ?? "(no kind)"}/${name}`;
    if (typeof object.apiVersion !== "string" || typeof object.kind !== "string") {
      failures++;
      console.log(`FAIL ${label} (${file}): expected apiVersion and kind, found ${JSON.stringify({ apiVersion: object.apiVersion, kind: object.kind })}`);
      continue;
    }
    const Model = await modelFor(object.apiVersion, object.kind);
    if (Model === undefined) {
      failures++;
      console.log(`FAIL ${label} (${file}): ${object.apiVersion} ${object.kind} is not a Kubernetes kind kubernetes-models knows`);
      continue;
    }
    try {
      new Model(object).validate();
      console.log(`ok   ${object.apiVersion} ${label}`);
    } catch (e) {
      failures++;
      const problems = (e.errors ?? [{ instancePath: "", message: e.message }])
        .map(p => `${p.instancePath || "/"} ${p.message}${p.params?.allowedValues ? ` (one of ${p.params.allowedValues.join(", ")})` : ""}`);
      console.log(`FAIL ${object.apiVersion} ${label} (${file}):\n       ${problems.join("\n       ")}`);
    }
  }
}
console.log(objects === 0 ? "no objects found: expected rendered Kubernetes manifests"
  : failures === 0 ? `${objects} object(s), all valid` : `${failures} of ${objects} object(s) invalid`);
process.exit(failures === 0 && objects > 0 ? 0 : 1);
