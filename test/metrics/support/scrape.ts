import { expect } from "vitest";
import { registry } from "../../../src/metrics/registry.js";

/** One scrape of a /metrics page: every sample by name and labels. */
export interface Scrape {
  contentType: string | null;
  text: string;
  /** The sample's value; 0 when the series is absent (a counter never incremented). */
  value(name: string, labels?: Record<string, string>): number;
  has(name: string, labels?: Record<string, string>): boolean;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

function seriesKey(name: string, labels: Record<string, string>): string {
  const sorted = Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`);
  return `${name}{${sorted.join(",")}}`;
}

/** Parses Prometheus' text exposition format (what prom-client writes). */
export function parseMetrics(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const [, name = "", rawLabels = "", value = ""] = match;
    const labels: Record<string, string> = {};
    for (const [, key = "", raw = ""] of rawLabels.matchAll(LABEL)) {
      labels[key] = raw.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
    }
    samples.set(seriesKey(name, labels), Number(value));
  }
  return samples;
}

/** GETs `${baseUrl}/metrics` and parses it; fails the test unless it answered 200. */
export async function scrape(baseUrl: string): Promise<Scrape> {
  const response = await fetch(`${baseUrl}/metrics`);
  const text = await response.text();
  expect(response.status, text).toBe(200);
  return scraped(text, response.headers.get("content-type"));
}

/** The process registry's text as a scrape would get it, without a database behind it. */
export async function readRegistry(): Promise<Scrape> {
  return scraped(await registry.metrics(), registry.contentType);
}

function scraped(text: string, contentType: string | null): Scrape {
  const samples = parseMetrics(text);
  return {
    contentType,
    text,
    value: (name, labels = {}) => samples.get(seriesKey(name, labels)) ?? 0,
    has: (name, labels = {}) => samples.has(seriesKey(name, labels)),
  };
}

/** How much each named series moved between two scrapes. */
export function moved(
  before: Scrape,
  after: Scrape,
  name: string,
  labels?: Record<string, string>,
): number {
  return after.value(name, labels) - before.value(name, labels);
}
