import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { Ajv, ErrorObject, ValidateFunction } from "ajv";
import { createAjv } from "./ajv.js";

/**
 * GitHub's published REST description (@octokit/openapi) as a request matcher and validator.
 * The 13 MB file is parsed once per process on first use; each operation's schemas are compiled
 * only when a request first needs them, because compiling the whole description takes seconds.
 */

export interface Operation {
  method: string;
  template: string;
  operationId: string;
  docsUrl: string | undefined;
  segments: string[];
  integerParams: Set<string>;
  body: { schema: unknown; required: boolean } | undefined;
  responses: Record<string, unknown>;
}

export interface RouteMatch {
  op: Operation;
  params: Record<string, string>;
}

interface Loaded {
  ops: Operation[];
  ajv: Ajv;
  loadMs: number;
}

const COMPONENTS_ID = "gh";
let loaded: Loaded | undefined;

/** Milliseconds the first load took (parse + index), or undefined before first use. */
export function openApiLoadMs(): number | undefined {
  return loaded?.loadMs;
}

function load(): Loaded {
  if (loaded) return loaded;
  const started = performance.now();
  const require = createRequire(import.meta.url);
  const file = require.resolve("@octokit/openapi/generated/api.github.com.json");
  const spec = JSON.parse(readFileSync(file, "utf8")) as OpenApiDocument;
  const components = spec.components;
  const schemas = mapValues(components.schemas, rewrite);
  const ajv = createAjv();
  ajv.addSchema({ $id: COMPONENTS_ID, components: { schemas } });

  const ops: Operation[] = [];
  for (const [template, item] of Object.entries(spec.paths)) {
    for (const [method, raw] of Object.entries(item)) {
      if (!HTTP_METHODS.has(method)) continue;
      const op = raw as OpenApiOperation;
      const params = [...(item.parameters ?? []), ...(op.parameters ?? [])].map((p) =>
        resolve<OpenApiParameter>(spec, p),
      );
      const integerParams = new Set(
        params.filter((p) => p.in === "path" && p.schema?.type === "integer").map((p) => p.name),
      );
      const requestBody = op.requestBody
        ? resolve<OpenApiRequestBody>(spec, op.requestBody)
        : undefined;
      const bodySchema = requestBody?.content?.["application/json"]?.schema;
      const responses: Record<string, unknown> = {};
      for (const [status, resp] of Object.entries(op.responses ?? {})) {
        const schema = resolve<OpenApiResponse>(spec, resp).content?.["application/json"]?.schema;
        if (schema) responses[status] = schema;
      }
      ops.push({
        method: method.toUpperCase(),
        template,
        operationId: op.operationId,
        docsUrl: op.externalDocs?.url,
        segments: template.split("/").slice(1),
        integerParams,
        body: bodySchema
          ? { schema: bodySchema, required: requestBody?.required === true }
          : undefined,
        responses,
      });
    }
  }
  loaded = { ops, ajv, loadMs: Math.round(performance.now() - started) };
  return loaded;
}

const HTTP_METHODS = new Set(["get", "put", "post", "delete", "options", "head", "patch", "trace"]);

/**
 * Finds the operation for a request path. Literal segments win over parameters, as GitHub's
 * router does (`/issues/comments` is not issue number "comments"). A trailing `{path}` takes the
 * rest of the URL, since the contents API accepts nested paths with or without encoded slashes.
 * Returns undefined when the path or method is not in the description, or an integer path
 * parameter is not a number (GitHub answers 404 to both).
 */
export function matchRoute(method: string, pathname: string): RouteMatch | undefined {
  const { ops } = load();
  const parts = pathname.replace(/\/+$/, "").split("/").slice(1);
  let best: { op: Operation; params: Record<string, string>; score: string } | undefined;
  for (const op of ops) {
    if (op.method !== method) continue;
    const params = matchSegments(op.segments, parts);
    if (!params) continue;
    if ([...op.integerParams].some((name) => !/^\d+$/.test(params[name] ?? ""))) continue;
    const score = op.segments.map((s) => (s.startsWith("{") ? "1" : "0")).join("");
    if (!best || score < best.score) best = { op, params, score };
  }
  return best && { op: best.op, params: best.params };
}

function matchSegments(segments: string[], parts: string[]): Record<string, string> | undefined {
  const last = segments[segments.length - 1];
  const greedy = last === "{path}";
  if (greedy ? parts.length < segments.length : parts.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i] as string;
    const part = parts[i] as string;
    if (seg.startsWith("{") && seg.endsWith("}")) {
      const value = greedy && i === segments.length - 1 ? parts.slice(i).join("/") : part;
      if (value === "") return undefined;
      try {
        params[seg.slice(1, -1)] = decodeURIComponent(value);
      } catch {
        return undefined;
      }
    } else if (seg !== part) {
      return undefined;
    }
  }
  return params;
}

export interface ValidationIssue {
  field: string;
  code: string;
  message: string;
}

const validators = new Map<string, ValidateFunction>();

function validatorFor(key: string, schema: unknown): ValidateFunction {
  let validate = validators.get(key);
  if (!validate) {
    validate = load().ajv.compile(rewrite(schema) as object);
    validators.set(key, validate);
  }
  return validate;
}

/** Checks a request body against the operation's requestBody schema; [] when it conforms. */
export function validateBody(op: Operation, body: unknown): ValidationIssue[] {
  if (!op.body) return [];
  if (body === undefined) {
    return op.body.required ? [{ field: "", code: "missing", message: "Body is required" }] : [];
  }
  const validate = validatorFor(`${op.method} ${op.template} body`, op.body.schema);
  return validate(body) ? [] : toIssues(validate.errors);
}

/** Checks a JSON response against the description; returns a message when it does not conform. */
export function checkResponse(op: Operation, status: number, body: unknown): string | undefined {
  const schema = op.responses[String(status)];
  if (!schema) return undefined;
  const validate = validatorFor(`${op.method} ${op.template} ${status}`, schema);
  if (validate(body)) return undefined;
  return toIssues(validate.errors)
    .slice(0, 5)
    .map((e) => `${e.field || "(root)"} ${e.message}`)
    .join("; ");
}

function toIssues(errors: ErrorObject[] | null | undefined): ValidationIssue[] {
  return (errors ?? []).map((e) => ({
    field: e.instancePath.replace(/^\//, "").replaceAll("/", "."),
    code: e.keyword === "required" ? "missing_field" : "invalid",
    message: e.message ?? "is invalid",
  }));
}

/**
 * Points `#/components/...` references at the shared components schema and turns OpenAPI 3.0's
 * `nullable` into JSON Schema, which ajv cannot do by itself when `type` is absent.
 */
function rewrite(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(rewrite);
  if (!node || typeof node !== "object") return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === "$ref" && typeof value === "string" && value.startsWith("#/components/")) {
      out[key] = `${COMPONENTS_ID}${value}`;
    } else if (key === "properties" || key === "patternProperties") {
      out[key] = mapValues(value, rewrite);
    } else if (DATA_KEYWORDS.has(key)) {
      out[key] = value;
    } else if (key !== "nullable") {
      out[key] = rewrite(value);
    }
  }
  if ((node as { nullable?: unknown }).nullable === true) {
    return { anyOf: [out, { type: "null" }] };
  }
  return out;
}

const DATA_KEYWORDS = new Set(["enum", "const", "default", "example", "examples"]);

function mapValues(value: unknown, fn: (v: unknown) => unknown): unknown {
  if (!value || typeof value !== "object") return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fn(v)]));
}

function resolve<T>(spec: OpenApiDocument, node: unknown): T {
  let current = node as { $ref?: string };
  while (current && typeof current.$ref === "string") {
    let target: unknown = spec;
    for (const key of current.$ref.replace(/^#\//, "").split("/")) {
      target = (target as Record<string, unknown>)[key];
    }
    current = target as { $ref?: string };
  }
  return current as T;
}

interface OpenApiDocument {
  paths: Record<string, Record<string, unknown> & { parameters?: unknown[] }>;
  components: { schemas: Record<string, unknown> };
}

interface OpenApiOperation {
  operationId: string;
  externalDocs?: { url?: string };
  parameters?: unknown[];
  requestBody?: unknown;
  responses?: Record<string, unknown>;
}

interface OpenApiParameter {
  name: string;
  in: string;
  schema?: { type?: string };
}

interface OpenApiRequestBody {
  required?: boolean;
  content?: Record<string, { schema?: unknown }>;
}

interface OpenApiResponse {
  content?: Record<string, { schema?: unknown }>;
}
