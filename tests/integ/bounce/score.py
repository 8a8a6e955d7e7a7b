#!/usr/bin/python3
"""score - accuracy of mta-bounce --inbound --print on a labelled corpus.

usage: score.py MTA-BOUNCE RULES CORPUS-DIR OUT-FILE [bounces|arf]

Runs the parser on every email of the corpus (each run bounded to 10 s),
compares its records with expected.tsv as the corpus README says, and
writes the tables to OUT-FILE.  The last line printed is
"SCORE both=N rows=N crashes=N invariance-failures=N not-bounce-records=N"
for the calling test to judge.
"""
import csv
import io
import os
import subprocess
import sys
from collections import defaultdict

NOT_BOUNCE_ACTIONS = {"complaint", "autoreply", "delivered", "relayed",
                      "expanded"}


def run(binary, rules, path):
    """The records of one email, or None when the parser crashed."""
    with open(path, "rb") as f:
        data = f.read()
    try:
        p = subprocess.run([binary, "-c", rules, "--inbound", "--print"],
                           input=data, capture_output=True, timeout=10)
    except subprocess.TimeoutExpired:
        return None, "timeout"
    if p.returncode < 0 or p.returncode >= 128:
        return None, "signal %d" % -p.returncode
    if p.returncode != 0:
        return [], "exit %d: %s" % (p.returncode,
                                     p.stderr.decode(errors="replace").strip())
    rows = list(csv.DictReader(io.StringIO(p.stdout.decode(errors="replace"))))
    return rows, ""


def bounce_cat(rec):
    if rec is None or rec["action"] in NOT_BOUNCE_ACTIONS:
        return ""
    return rec["category"]


def score_bounces(binary, rules, top, out):
    lines = []
    exp = list(csv.DictReader(open(os.path.join(top, "expected.tsv")),
                              delimiter="\t"))
    files = set(r["file"] for r in exp)
    for sub in ("eml", "not", "dos", "mac"):
        d = os.path.join(top, sub)
        if os.path.isdir(d):
            files |= set(sub + "/" + f for f in os.listdir(d))
    got, crashes, errors = {}, [], []
    for f in sorted(files):
        recs, why = run(binary, rules, os.path.join(top, f))
        if recs is None:
            crashes.append((f, why))
            recs = []
        elif why:
            errors.append((f, why))
        got[f] = recs
    cat_rows = defaultdict(lambda: [0, 0, 0])   # rows, cat ok, both ok
    confusion = defaultdict(int)
    wrong = []
    rows = both = stat_rows = stat_ok = vd_rows = vd_ok = 0
    for r in exp:
        want = r["powermta_category"]
        if not want or not r["idx"]:
            continue
        recs = got.get(r["file"], [])
        i = int(r["idx"]) - 1
        rec = recs[i] if i < len(recs) else None
        if want in ("not-a-bounce", "success"):
            g = bounce_cat(rec)
            cat_ok = g == ""
            g = g or want
        else:
            g = bounce_cat(rec) if rec else "(no record)"
            cat_ok = g == want
        st_ok = True
        if r["expected_status"] and want not in ("not-a-bounce", "success"):
            stat_rows += 1
            st_ok = rec is not None and rec["status"] == r["expected_status"]
            stat_ok += st_ok
        rows += 1
        cat_rows[want][0] += 1
        cat_rows[want][1] += cat_ok
        cat_rows[want][2] += cat_ok and st_ok
        both += cat_ok and st_ok
        confusion[(want, g)] += 1
        if "version-disagreement" in r["notes"]:
            vd_rows += 1
            vd_ok += cat_ok and st_ok
        if not (cat_ok and st_ok):
            wrong.append("%s #%s want %s %s, got %s %s" % (
                r["file"], r["idx"], want, r["expected_status"] or "-", g,
                rec["status"] if rec else "-"))
    # line-ending invariance
    inv_fail = []
    le = os.path.join(top, "line-endings.tsv")
    if os.path.exists(le):
        for r in csv.DictReader(open(le), delimiter="\t"):
            same = r.get("same_as")
            if same and got.get(r["file"]) != got.get(same):
                inv_fail.append(r["file"])
    notb = [f for f in got if f.startswith("not/") and any(
        bounce_cat(x) for x in got[f])]
    lines.append("Accuracy of mta-bounce --inbound on corpus/%s" %
                 os.path.basename(os.path.normpath(top)))
    lines.append("(a row is right when the category of record idx is, and "
                 "its status where one is expected)")
    lines.append("")
    lines.append("%-22s %5s %9s %9s" % ("category", "rows", "category",
                                          "cat+status"))
    for c in sorted(cat_rows, key=lambda c: -cat_rows[c][0]):
        n, ok, b = cat_rows[c]
        lines.append("%-22s %5d %8.1f%% %8.1f%%" % (c, n, 100.0 * ok / n,
                                                    100.0 * b / n))
    cat_total = sum(v[1] for v in cat_rows.values())
    lines.append("%-22s %5d %8.1f%% %8.1f%%" % ("ALL", rows,
                 100.0 * cat_total / rows, 100.0 * both / rows))
    lines.append("")
    lines.append("status alone: %d/%d right (%.1f%%)" % (
        stat_ok, stat_rows, 100.0 * stat_ok / max(stat_rows, 1)))
    lines.append("rows where Sisimai versions disagree: %d/%d right" % (
        vd_ok, vd_rows))
    lines.append("files: %d, crashes: %d, parse errors: %d, "
                 "line-ending mismatches: %d, records from not/: %d" % (
                     len(files), len(crashes), len(errors), len(inv_fail),
                     len(notb)))
    lines.append("")
    lines.append("confusion (expected -> got, off the diagonal):")
    for (w, g), n in sorted(confusion.items(), key=lambda x: -x[1]):
        if w != g:
            lines.append("  %-20s -> %-20s %d" % (w, g, n))
    lines.append("")
    lines.append("wrong rows:")
    lines += ["  " + w for w in wrong]
    for f, why in crashes:
        lines.append("CRASH %s: %s" % (f, why))
    for f, why in errors:
        lines.append("error %s: %s" % (f, why))
    for f in inv_fail:
        lines.append("line endings differ: %s" % f)
    open(out, "w").write("\n".join(lines) + "\n")
    print("\n".join(lines[:len(cat_rows) + 12]))
    print("SCORE both=%d rows=%d crashes=%d invariance-failures=%d "
          "not-bounce-records=%d" % (both, rows, len(crashes), len(inv_fail),
                                     len(notb)))


def score_arf(binary, rules, top, out):
    exp = list(csv.DictReader(open(os.path.join(top, "expected.tsv")),
                              delimiter="\t"))
    files = set(r["file"] for r in exp)
    for d in os.listdir(top):
        if os.path.isdir(os.path.join(top, d)):
            files |= set(d + "/" + f for f in os.listdir(os.path.join(top, d))
                         if f.endswith((".eml", ".txt")))
    got, crashes = {}, []
    for f in sorted(files):
        recs, why = run(binary, rules, os.path.join(top, f))
        if recs is None:
            crashes.append((f, why))
            recs = []
        got[f] = recs
    rows = ok = rc_rows = rc_ok = 0
    lines = ["Complaints: mta-bounce --inbound on corpus/%s" %
             os.path.basename(os.path.normpath(top)), ""]
    wrong = []
    for r in exp:
        recs = got.get(r["file"], [])
        i = int(r["idx"]) - 1
        rec = recs[i] if i < len(recs) else None
        is_c = rec is not None and rec["action"] == "complaint"
        if r["feedback_type"]:
            rows += 1
            good = is_c and rec["category"] == r["feedback_type"]
            ok += good
            if not good:
                wrong.append("%s #%s feedback-type want %s got %s" % (
                    r["file"], r["idx"], r["feedback_type"],
                    rec["category"] if rec else "(no record)"))
        else:
            rows += 1
            good = is_c
            ok += good
            if not good:
                wrong.append("%s #%s want a complaint" % (r["file"], r["idx"]))
        if r["original_rcpt_to"]:
            rc_rows += 1
            g = is_c and rec["rcpt"].lower() == r["original_rcpt_to"].lower()
            rc_ok += g
            if not g:
                wrong.append("%s #%s rcpt want %s got %s" % (
                    r["file"], r["idx"], r["original_rcpt_to"],
                    rec["rcpt"] if rec else "(no record)"))
    lines.append("feedback type (or complaint found): %d/%d (%.1f%%)" % (
        ok, rows, 100.0 * ok / rows))
    lines.append("original recipient: %d/%d (%.1f%%)" % (
        rc_ok, rc_rows, 100.0 * rc_ok / max(rc_rows, 1)))
    lines.append("files: %d, crashes: %d" % (len(files), len(crashes)))
    lines += ["", "wrong rows:"] + ["  " + w for w in wrong]
    lines += ["CRASH %s: %s" % c for c in crashes]
    open(out, "w").write("\n".join(lines) + "\n")
    print("\n".join(lines[:5]))
    print("SCORE both=%d rows=%d crashes=%d invariance-failures=0 "
          "not-bounce-records=0 rcpt=%d/%d" % (ok, rows, len(crashes),
                                              rc_ok, rc_rows))


if __name__ == "__main__":
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    fn = score_arf if sys.argv[5] == "arf" else score_bounces
    fn(*sys.argv[1:5])
