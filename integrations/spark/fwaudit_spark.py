#!/usr/bin/env python3
"""fwaudit on Apache Spark: runs the matcher SQL that `fwaudit sql --dialect spark` generates over Parquet
flows (the fwaudit flow schema, hive layout day=YYYY-MM-DD), and writes findings and the compliance matrix as
Parquet and CSV.

    fwaudit sql --inventory inv.yaml --dialect spark --output findings --flows flows --out findings.sql
    fwaudit sql --inventory inv.yaml --dialect spark --output matrix   --flows flows --out matrix.sql
    spark-submit --master yarn integrations/spark/fwaudit_spark.py \\
        --flows s3a://bucket/flows --findings-sql findings.sql --matrix-sql matrix.sql \\
        --out s3a://bucket/fwaudit/2026-03-10

Any path Spark reads works for --flows (local, hdfs://, s3a://, abfss://; repeat it for several roots).
The flows are registered as the temporary view named by --view (default "flows"), which is what
`--flows flows` in the generated SQL refers to.

Optional: raw logs parsed on the executors. --raw PATH pipes the text lines of PATH (one partition at a time)
through `fwaudit parse - --format F --tz Z` (RDD.pipe) on each executor, where Node and fwaudit are
installed, and adds the flows to the view. Evidence references of those flows name "-" (stdin) and the line
within the partition; prefer parsing on the collectors (`fwaudit parse --out DIR --partition day`) when the
evidence has to point at files.

Model tables: `fwaudit sql --tables DIR` writes the requirements, ports and role ranges as small Parquet
files DIR/NAME.parquet that the statement reads instead of inline VALUES (copy DIR where the cluster reads it
and give that place with --tables-url). Spark broadcasts them: they are a few KB to a few MB.

Several audits in one Spark application: --manifest FILE, a JSON list of objects with the keys flows (a list),
findings_sql, matrix_sql, out (and optionally raw, a list); the other options apply to all of them.

Output: OUT/findings.parquet/, OUT/findings.csv/, OUT/matrix.parquet/, OUT/matrix.csv/ (Spark writes each as a
directory of part files; CSV arrays and structs are JSON text; --csv-single-file writes one part).
"""
import argparse
import json
import re
import shlex
import sys
import time

from pyspark.sql import SparkSession, functions as F
from pyspark.sql.types import (ArrayType, IntegerType, LongType, MapType, StringType, StructField,
                               StructType, TimestampType)

# The fwaudit flow record (README "The flow record"), as `fwaudit parse` writes it to JSON Lines.
FLOW_JSON_SCHEMA = StructType([
    StructField("ts", StringType()),
    StructField("action", StringType()),
    StructField("raw_action", StringType()),
    StructField("transport", StringType()),
    StructField("src_ip", StringType()),
    StructField("src_port", IntegerType()),
    StructField("dst_ip", StringType()),
    StructField("dst_port", IntegerType()),
    StructField("direction", StringType()),
    StructField("device", StringType()),
    StructField("rule", StringType()),
    StructField("app", StringType()),
    StructField("bytes", LongType()),
    StructField("packets", LongType()),
    StructField("end_reason", StringType()),
    StructField("host", StringType()),
    StructField("url", StringType()),
    StructField("format", StringType()),
    StructField("file", StringType()),
    StructField("line", IntegerType()),
])

# Steps cheaper to compute again from the Parquet scan than to materialise (all the flows, few columns).
RECOMPUTE = {"fw_raw", "fw_flows"}
STEP_RE = re.compile(r"^-- step: ([a-z0-9_]+)$", re.M)

MATCH_COLUMNS = ["ts", "action", "transport", "src_ip", "dst_ip", "dst_port", "device", "rule", "host", "format", "direction",
                 "file", "line"]


def parse_args(argv):
    p = argparse.ArgumentParser(description="Run fwaudit's matcher SQL on Spark over Parquet flows.")
    p.add_argument("--flows", action="append", default=[], help="Parquet flows root (repeatable); any path Spark reads")
    p.add_argument("--raw", action="append", default=[], help="raw log path to parse on the executors with fwaudit (repeatable)")
    p.add_argument("--fwaudit", default="fwaudit", help="fwaudit command on the executors (default: fwaudit)")
    p.add_argument("--raw-format", default=None, help="--format for fwaudit parse of --raw inputs (default: detected)")
    p.add_argument("--raw-tz", default="UTC", help="--tz for fwaudit parse of --raw inputs (default: UTC)")
    p.add_argument("--raw-year", default=None, help="--year for fwaudit parse of --raw inputs")
    p.add_argument("--findings-sql", help="file with the statement of `fwaudit sql --dialect spark --output findings`")
    p.add_argument("--matrix-sql", help="file with the statement of `fwaudit sql --dialect spark --output matrix`")
    p.add_argument("--view", default="flows", help="temporary view name the SQL reads (default: flows)")
    p.add_argument("--out", default=None, help="output directory (any path Spark writes)")
    p.add_argument("--formats", default="parquet,csv", help="comma list of parquet, csv (default: both)")
    p.add_argument("--csv-single-file", action="store_true", help="write each CSV as one part file")
    p.add_argument("--mode", default="overwrite", choices=["overwrite", "errorifexists"], help="when OUT already has results")
    p.add_argument("--shuffle-partitions", type=int, default=None, help="spark.sql.shuffle.partitions (small inputs: 2-8)")
    p.add_argument("--no-materialize", action="store_true", help="run the statement as one spark.sql() call (CTEs inlined)")
    p.add_argument("--master", default=None, help="Spark master when not given by spark-submit (e.g. local[2])")
    p.add_argument("--conf", action="append", default=[], metavar="KEY=VALUE", help="a Spark setting (repeatable)")
    p.add_argument("--manifest", default=None, help="JSON list of audits {flows, raw, findings_sql, matrix_sql, out} run in one session")
    a = p.parse_args(argv)
    if a.manifest:
        return a
    if not a.out:
        p.error("give --out (or --manifest)")
    if not a.flows and not a.raw:
        p.error("give --flows and/or --raw")
    if not a.findings_sql and not a.matrix_sql:
        p.error("give --findings-sql and/or --matrix-sql")
    return a


def parsed_on_executors(spark, a):
    """Raw log lines piped through `fwaudit parse -` on the executors; returns a DataFrame of flows."""
    cmd = [a.fwaudit, "parse", "-", "--no-progress", "--quiet", "--tz", a.raw_tz]
    if a.raw_format:
        cmd += ["--format", a.raw_format]
    if a.raw_year:
        cmd += ["--year", str(a.raw_year)]
    lines = spark.sparkContext.union([spark.sparkContext.textFile(p) for p in a.raw])
    jsonl = lines.pipe(" ".join(shlex.quote(c) for c in cmd))
    df = spark.read.schema(FLOW_JSON_SCHEMA).json(jsonl)
    return df.withColumn("ts", F.to_timestamp("ts"))


def load_flows(spark, a):
    frames = []
    if a.flows:
        frames.append(spark.read.option("mergeSchema", "true").parquet(*a.flows).select(*MATCH_COLUMNS))
    if a.raw:
        frames.append(parsed_on_executors(spark, a).select(*MATCH_COLUMNS))
    df = frames[0]
    for f in frames[1:]:
        df = df.unionByName(f)
    return df


def split_steps(sql):
    """The named steps of a `fwaudit sql` statement ("-- step: NAME" markers) and its final SELECT, or None."""
    parts = STEP_RE.split(sql)
    if len(parts) < 3:
        return None
    steps = []
    for name, body in zip(parts[1::2], parts[2::2]):
        body = body.strip()
        if name == "result":
            steps.append((name, body))
            continue
        m = re.match(r"^" + re.escape(name) + r" AS \((.*)\),?$", body, re.S)
        if not m:
            return None
        steps.append((name, m.group(1)))
    return steps if steps and steps[-1][0] == "result" else None


def run_statement(spark, sql, done, materialize=True):
    """Runs the statement step by step. Spark inlines a CTE at every reference and analyses a SQL view's text
    again wherever it is used, so the matcher's shared steps would be planned and computed many times (the
    plan grows exponentially with the depth of the steps). Here each named step becomes a temporary view of a
    DataFrame; a step that later steps use more than once is materialised with localCheckpoint (computed once,
    and its plan is cut: later steps plan against a leaf). Steps that read only the inputs (the flows, the model
    tables) stay lazy: they are cheap to scan again, and their small size lets Spark broadcast the model tables.
    `done` maps the steps already registered in this session to their text: the findings and the matrix
    statements share their first steps, which run once."""
    steps = split_steps(sql) if materialize else None
    if steps is None:
        return spark.sql(sql)
    names = [n for n, _ in steps[:-1]]
    for i, (name, query) in enumerate(steps[:-1]):
        if done.get(name) == query:
            continue
        later = [q for _, q in steps[i + 1:]]
        uses = sum(len(re.findall(r"\b" + name + r"\b", q)) for q in later)
        leaf = not any(re.search(r"\b" + n + r"\b", query) for n in names[:i])
        df = spark.sql(query)
        if uses >= 2 and not leaf and name not in RECOMPUTE:
            t = time.time()
            df = df.localCheckpoint(eager=True)
            print(f"fwaudit_spark: step {name} materialised in {time.time() - t:.1f} s", file=sys.stderr, flush=True)
        df.createOrReplaceTempView(name)
        done[name] = query
    return spark.sql(steps[-1][1])


def csv_ready(df):
    """CSV has no arrays or structs: write them as JSON text."""
    cols = []
    for field in df.schema.fields:
        if isinstance(field.dataType, (ArrayType, StructType, MapType)):
            cols.append(F.to_json(F.col(field.name)).alias(field.name))
        else:
            cols.append(F.col(field.name))
    return df.select(*cols)


def write(df, a, name):
    formats = {f.strip() for f in a.formats.split(",") if f.strip()}
    base = a.out.rstrip("/")
    if "parquet" in formats:
        df.write.mode(a.mode).parquet(f"{base}/{name}.parquet")
    if "csv" in formats:
        c = csv_ready(df)
        if a.csv_single_file:
            c = c.coalesce(1)
        c.write.mode(a.mode).option("header", "true").option("escape", '"').csv(f"{base}/{name}.csv")


def audits(a):
    """The audits to run: the command line's one, or the manifest's list."""
    if not a.manifest:
        return [{"flows": a.flows, "raw": a.raw, "findings_sql": a.findings_sql, "matrix_sql": a.matrix_sql, "out": a.out}]
    with open(a.manifest, encoding="utf-8") as fh:
        items = json.load(fh)
    if not isinstance(items, list) or not items:
        raise SystemExit("fwaudit_spark: --manifest: a non-empty JSON list of audits is expected")
    out = []
    for it in items:
        x = {"flows": list(it.get("flows", [])), "raw": list(it.get("raw", [])), "findings_sql": it.get("findings_sql"),
             "matrix_sql": it.get("matrix_sql"), "out": it.get("out")}
        if not x["out"] or not (x["flows"] or x["raw"]) or not (x["findings_sql"] or x["matrix_sql"]):
            raise SystemExit("fwaudit_spark: --manifest: every audit needs out, flows (or raw), findings_sql (or matrix_sql)")
        out.append(x)
    return out


def main(argv):
    a = parse_args(argv)
    b = SparkSession.builder.appName("fwaudit")
    if a.master:
        b = b.master(a.master)
    # The SQL formats timestamps as UTC text; flows are stored in UTC.
    b = b.config("spark.sql.session.timeZone", "UTC")
    if a.shuffle_partitions:
        b = b.config("spark.sql.shuffle.partitions", str(a.shuffle_partitions))
    for kv in a.conf:
        k, sep, v = kv.partition("=")
        if not sep:
            raise SystemExit(f"fwaudit_spark: --conf {kv}: KEY=VALUE expected")
        b = b.config(k, v)
    spark = b.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    try:
        for job in audits(a):
            t0 = time.time()
            a.flows, a.raw, a.out = job["flows"], job["raw"], job["out"]
            load_flows(spark, a).createOrReplaceTempView(a.view)
            done = {}
            for name, path in (("findings", job["findings_sql"]), ("matrix", job["matrix_sql"])):
                if not path:
                    continue
                with open(path, encoding="utf-8") as fh:
                    sql = fh.read()
                df = run_statement(spark, sql, done, materialize=not a.no_materialize)
                # The statement is used twice (Parquet, CSV): compute it once.
                df = df.localCheckpoint(eager=True)
                write(df, a, name)
                print(f"fwaudit_spark: {name}: {df.count()} rows -> {a.out.rstrip('/')}/{name}.* ({time.time() - t0:.1f} s)",
                      file=sys.stderr, flush=True)
    finally:
        spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
