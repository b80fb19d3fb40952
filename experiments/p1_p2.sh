#!/usr/bin/env bash
# P1 (CEO-led vs CCO-only) and P2 (the invisible war) with 30 replicates each, and the settings
# where each stops holding. Results go to experiments/results/<name>/ (not committed); each
# command prints its table (mean ±95% CI half-width over replicates; Δ vs the first scenario
# for compare), and summary.csv in its folder holds the same numbers with the intervals.
#   bash experiments/p1_p2.sh                         30 replicates, 20,000 customers (~5-10 min)
#   REPLICATES=2 CUSTOMERS=5000 bash experiments/p1_p2.sh    a quick look
#   RESUME=1 bash experiments/p1_p2.sh                finish an interrupted run (same settings)
#   OUT=/tmp/p bash experiments/p1_p2.sh              results elsewhere
# P1's 2x2 (CEO commitment x empowered CCO) and its boundary sweep: experiments/cco_2x2.py.
set -euo pipefail
cd "$(dirname "$0")/.."
CXSIM=${CXSIM:-.venv/bin/cxsim}
OUT=${OUT:-experiments/results}
R=${REPLICATES:-30}
COMMON=(--replicates "$R")
if [[ -n "${CUSTOMERS:-}" ]]; then COMMON+=(--set "market.customers=$CUSTOMERS"); fi
if [[ -n "${RESUME:-}" ]]; then COMMON+=(--resume); fi

# ---------------------------------------------------------------------------------------- P1
# The same firm, programs and CCO; only the CEO's commitment and backing differ. Isolates
# what the CEO's own commitment adds over a CCO (cco_only vs ceo_led), and with cco_backed
# (a CCO with full authority, reach and backing under the same lukewarm CEO, 0.4) whether
# backing a CCO can stand in for the CEO's commitment: the CCO's effective authority is
# authority x min(ceo_backing, ceo_commitment), so it cannot pass 0.4 here.
$CXSIM compare scenarios/cco_only.yaml scenarios/ceo_led.yaml scenarios/cco_backed.yaml \
  "${COMMON[@]}" --out "$OUT/p1"

# ---------------------------------------------------------------------------------------- P2
# The copier (firm 1 of invisible_war) against the CEO-led firm it copies, 26 weeks late.
# The gap between the two firms is the copier's lag plus its culture (a lukewarm CEO, 0.4, and
# no CCO) under customers who weigh visible and invisible quality equally (visible_weight 0.5).
$CXSIM run scenarios/invisible_war.yaml "${COMMON[@]}" --out "$OUT/p2"

# Lag alone removed: the copier adopts every visible change the same week. What gap remains
# is culture (invisible quality), not the 26-week delay.
$CXSIM run scenarios/invisible_war.yaml "${COMMON[@]}" --set firms.1.copies.lag_weeks=0 \
  --out "$OUT/p2_lag_0"

# Culture alone removed: the copier gets the focal firm's culture, that is its CEO commitment
# (0.9) and the same CCO (commitment 0.9, authority 0.5, reach 0.3, backing 0.8); its
# empowerment policy (0.3) and organization are the focal's already. Its programs and their
# aim are copied, 26 weeks late (its own voice_of_customer only aims journey mapping it does
# not run before it copies). What gap remains is the lag.
$CXSIM run scenarios/invisible_war.yaml "${COMMON[@]}" \
  --set firms.1.leadership.ceo_commitment=0.9 \
  --set firms.1.cco.commitment=0.9 --set firms.1.cco.authority=0.5 \
  --set firms.1.cco.reach=0.3 --set firms.1.cco.ceo_backing=0.8 \
  --out "$OUT/p2_copier_culture"

# P2's boundary: customers weigh mostly what is visible (copying should mostly work) ...
$CXSIM run scenarios/invisible_war.yaml "${COMMON[@]}" --set market.visible_weight=0.9 \
  --out "$OUT/p2_visible_0.9"
# ... and, at the limit, only the visible part, copied with no lag: the copier should match.
$CXSIM run scenarios/invisible_war.yaml "${COMMON[@]}" --set market.visible_weight=1 \
  --set firms.1.copies.lag_weeks=0 --out "$OUT/p2_visible_1_lag_0"
