import picomatch from "picomatch";

export interface ChangedFile {
  filename: string;
  additions: number;
  deletions: number;
}

export type SizeBucket = "XS" | "S" | "M" | "L" | "XL" | "XXL";

/** Prow's size thresholds (pkg/plugins/size): an upper bound, exclusive, for each bucket. */
const BUCKETS: ReadonlyArray<[SizeBucket, number]> = [
  ["XS", 10],
  ["S", 30],
  ["M", 100],
  ["L", 500],
  ["XL", 1000],
];

export function sizeBucket(lines: number): SizeBucket {
  return BUCKETS.find(([, below]) => lines < below)?.[0] ?? "XXL";
}

export const SIZE_LABEL_PREFIX = "size/";
export const sizeLabel = (bucket: SizeBucket) => `${SIZE_LABEL_PREFIX}${bucket}`;

export interface PullSize {
  /** Additions plus deletions over the files that count. */
  lines: number;
  /** Lines in ignored (lock or generated) files. */
  ignoredLines: number;
  files: number;
  ignoredFiles: string[];
  bucket: SizeBucket;
}

export function matcher(globs: readonly string[]): (path: string) => boolean {
  if (globs.length === 0) return () => false;
  return picomatch([...globs], { dot: true });
}

/** Counts a PR's size, skipping files the config ignores and files marked generated. */
export function measurePull(
  files: readonly ChangedFile[],
  ignore: readonly string[],
  generated: readonly string[] = [],
): PullSize {
  const skip = matcher([...ignore, ...generated]);
  let lines = 0;
  let ignoredLines = 0;
  let counted = 0;
  const ignoredFiles: string[] = [];
  for (const file of files) {
    const changed = file.additions + file.deletions;
    if (skip(file.filename)) {
      ignoredLines += changed;
      ignoredFiles.push(file.filename);
    } else {
      lines += changed;
      counted += 1;
    }
  }
  return { lines, ignoredLines, files: counted, ignoredFiles, bucket: sizeBucket(lines) };
}

/** The paths `.gitattributes` marks `linguist-generated` (set, or `=true`). */
export function linguistGenerated(gitattributes: string): string[] {
  const patterns: string[] = [];
  for (const raw of gitattributes.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const [pattern, ...attributes] = line.split(/\s+/);
    if (!pattern) continue;
    const marked = attributes.some(
      (a) => a === "linguist-generated" || a === "linguist-generated=true",
    );
    // A gitattributes pattern without a slash matches at any depth.
    if (marked) patterns.push(pattern.includes("/") ? pattern.replace(/^\//, "") : `**/${pattern}`);
  }
  return patterns;
}

/** Which labels to add and remove so exactly the current size label remains. */
export function sizeLabelChanges(current: readonly string[], bucket: SizeBucket) {
  const wanted = sizeLabel(bucket);
  return {
    add: current.includes(wanted) ? [] : [wanted],
    remove: current.filter((l) => l.startsWith(SIZE_LABEL_PREFIX) && l !== wanted),
  };
}
