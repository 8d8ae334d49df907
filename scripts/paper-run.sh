#!/usr/bin/env bash
# The paper-scale run (issue 7): trains, or continues, both models with `--profile paper --seed 1`
# side by side, one XNNPACK thread each (two single-threaded runs beat one two-threaded run: the
# non-convolution quarter of a step does not parallelise). When one model finishes, the other is
# stopped at its next batch and resumed with every core; resume and thread count are both
# bit-identical, so this changes only the speed.
#
#   FER2013_CSV=… bash scripts/paper-run.sh        # logs in runs/paper-<model>.log
#
# Ctrl-C or SIGTERM stops both after their current batch, with a checkpoint (exit 130). Stop it
# before committing models/*.checkpoint, so that no save lands in the middle of `git add`.
# To try it on small settings: PAPER_RUN_OUT=runs/try PAPER_RUN_LOGS=runs/try
# PAPER_RUN_ARGS='--width 0.125 --epochs 1 …' (test/paper-run.test.ts does this).
set -uo pipefail
cd "$(dirname "$0")/.."
: "${FER2013_CSV:?set FER2013_CSV to fer2013.csv(.gz)}"
out=${PAPER_RUN_OUT:-models}
logs=${PAPER_RUN_LOGS:-runs}
read -ra extra <<<"${PAPER_RUN_ARGS:-}"
mkdir -p "$logs" "$out"

declare -A pid=()
stopping=0

start() { # start MODEL THREADS
  local m=$1 resume=()
  [[ -d $out/$m.checkpoint ]] && resume=(--resume)
  echo "paper-run: $m on $2 thread(s)${resume:+, resuming} (log: $logs/paper-$m.log)" >&2
  # node itself, not npx: the signals below must reach the training process.
  FER_WASM_THREADS=$2 node --import tsx lib/cli/index.ts train --model "$m" --profile paper \
    --seed 1 --out "$out/$m" --log-every 40 "${extra[@]}" "${resume[@]}" \
    >>"$logs/paper-$m.log" 2>&1 &
  pid[$m]=$!
}

on_signal() {
  stopping=1
  for m in "${!pid[@]}"; do kill -TERM "${pid[$m]}" 2>/dev/null; done
}
trap on_signal INT TERM

finished() { [[ -f $out/$1/meta.json && ! -d $out/$1.checkpoint ]]; }

todo=()
for m in cnn cnn-lstm; do
  if finished "$m"; then
    echo "paper-run: $m is finished ($out/$m)" >&2
  else
    todo+=("$m")
  fi
done
((${#todo[@]})) || exit 0
threads=1
((${#todo[@]} == 1)) && threads=auto
for m in "${todo[@]}"; do start "$m" "$threads"; done

status=0
while ((${#pid[@]})); do
  wait -n "${pid[@]}"
  for m in "${!pid[@]}"; do
    # The branch below may already have reaped (or restarted) a model listed at the loop's start.
    [[ -v "pid[$m]" ]] || continue
    kill -0 "${pid[$m]}" 2>/dev/null && continue
    wait "${pid[$m]}" 2>/dev/null
    rc=$?
    unset "pid[$m]"
    echo "paper-run: $m exited with $rc" >&2
    if ((rc != 0)); then
      # The first failure is the cause; the other model's exit after our SIGTERM is not.
      ((status)) || status=$rc
      ((stopping)) || on_signal
    elif ((!stopping && ${#pid[@]} == 1)); then
      # The other model now has the machine to itself: give it every core.
      other=${!pid[*]}
      kill -TERM "${pid[$other]}" 2>/dev/null # it may have ended too
      wait "${pid[$other]}"
      rc=$?
      unset "pid[$other]"
      # 143: our SIGTERM met no handler: still loading (nothing written; continue it), or done
      # and exiting (keep it). The test suite once hit the first on tiny settings.
      if ((rc == 143)) && finished "$other"; then
        rc=0
      elif ((rc == 143)); then
        rc=130
      fi
      if ((rc == 130)); then
        echo "paper-run: $other paused, to continue on every core" >&2
        start "$other" auto
      else
        echo "paper-run: $other exited with $rc" >&2
        ((rc == 0 || status)) || status=$rc
      fi
    fi
  done
done
exit "$status"
