#!/usr/bin/env bash
# P1 (CEO-led vs CCO-only) and P2 (the invisible war) with 30 replicates each, and the settings
# where each stops holding. Results go to experiments/results/<name>/ (not committed); read
# summary.csv there, or the table each command prints.
#   bash experiments/p1_p2.sh            (about 6 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
CXSIM=${CXSIM:-.venv/bin/cxsim}
OUT=experiments/results
R=${REPLICATES:-30}

# P1: the same firm, programs and CCO; only the CEO's commitment and backing differ.
# cco_backed.yaml is the boundary: a CCO with full authority, reach and CEO backing.
$CXSIM compare scenarios/cco_only.yaml scenarios/ceo_led.yaml scenarios/cco_backed.yaml \
  --replicates "$R" --out "$OUT/p1"

# P2: the copier (firm 1 of invisible_war) against the CEO-led firm it copies.
$CXSIM run scenarios/invisible_war.yaml --replicates "$R" --out "$OUT/p2"

# P2's boundary: customers weigh mostly what is visible; and, at the limit, only the visible
# part with no copying lag.
$CXSIM run scenarios/invisible_war.yaml --replicates "$R" --set market.visible_weight=0.9 \
  --out "$OUT/p2_visible_0.9"
$CXSIM run scenarios/invisible_war.yaml --replicates "$R" --set market.visible_weight=1 \
  --set firms.1.copies.lag_weeks=0 --out "$OUT/p2_visible_1_lag_0"
