#!/usr/bin/env bash
# Sharded Monte Carlo sampling with examples/sample on a SLURM cluster.
#
# Submits two jobs:
#   1. a job array of RSMI_NSHARDS tasks (shard.sbatch); task K runs
#        sample -shard K -seed RSMI_SEED ... -out RSMI_OUT/shards/shard-K.npy
#      whose chains are seeded from sample.ShardSource(RSMI_SEED, K), so the
#      shards are distinct random streams by construction;
#   2. the merge (merge.sbatch), with --dependency=afterok:<array job>: it runs
#      once every shard has succeeded and concatenates shard-0 … shard-(N-1),
#      in that order, into RSMI_OUT/merged.npy (+ merged.npy.geom.json).
# The result is byte-identical to running the same shards one after another
# on one machine and merging them (deploy/slurm/e2e.sh checks exactly that).
#
# Run it on a login node from anywhere in the repository checkout:
#   RSMI_OUT=/scratch/$USER/ising64 RSMI_L=64 RSMI_NSHARDS=50 deploy/slurm/submit.sh
#   deploy/slurm/submit.sh --wait     # block until the merge has finished
#
# Parameters (environment variables; default in brackets):
#   RSMI_OUT      output directory on a file system every node sees [./rsmi-slurm-out]
#   RSMI_NSHARDS  number of shards = array tasks [4]
#   RSMI_MODEL    ising1d, ising2d, ising3d or dimer [ising2d]
#   RSMI_L        linear size [32]
#   RSMI_T        temperature [2.269185, T_c of the 2D Ising model]
#   RSMI_SAMPLES  samples per shard [2000]; the merged set has NSHARDS times as many
#   RSMI_SEED     seed of the whole run; shard K derives its own from it [1]
#   RSMI_CHAINS   Markov chains per shard, run in parallel = CPUs per task [2]
#   RSMI_ARGS     further flags of examples/sample for every shard and the merge,
#                 e.g. "-sampler metropolis -every 5" or "-V -1 -noise" []
#   RSMI_BIN      an examples/sample binary to use; by default it is built once,
#                 here, with `go build` into RSMI_OUT/bin/sample (compute nodes
#                 need no Go) []
#   RSMI_TASKS    the shards to (re)run, as sbatch --array takes them, e.g. "3,7"
#                 after tasks 3 and 7 failed; the merge still takes all
#                 RSMI_NSHARDS shards [0-(RSMI_NSHARDS-1)]
#   RSMI_SBATCH_ARGS  sbatch options for both jobs, e.g.
#                 "--partition=short --account=myproject --time=02:00:00" []
# Site settings (partition, account, time, memory) can also go into the
# commented #SBATCH lines of shard.sbatch and merge.sbatch.
#
# Output in RSMI_OUT: shards/shard-K.npy (+ .geom.json) and shard-K.json (one
# JSON summary line per shard), merged.npy (+ .geom.json), merged.json, and
# the jobs' logs in logs/. Watch the jobs with `squeue --me`. If a shard
# fails, SLURM cancels the merge (--kill-on-invalid-dep=yes); read its log in
# logs/, fix the cause and resubmit with RSMI_TASKS set to the failed shards
# (and the same parameters): the shards that succeeded are kept.
set -euo pipefail

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }

wait_flag=()
case "${1:-}" in
"") ;;
--wait) wait_flag=(--wait) ;;
-h | --help) usage; exit 0 ;;
*) echo "submit.sh: unknown argument '$1' (want --wait or nothing; parameters are environment variables, see --help)" >&2; exit 2 ;;
esac

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

export RSMI_OUT=${RSMI_OUT:-$PWD/rsmi-slurm-out}
export RSMI_NSHARDS=${RSMI_NSHARDS:-4}
export RSMI_MODEL=${RSMI_MODEL:-ising2d}
export RSMI_L=${RSMI_L:-32}
export RSMI_T=${RSMI_T:-2.269185}
export RSMI_SAMPLES=${RSMI_SAMPLES:-2000}
export RSMI_SEED=${RSMI_SEED:-1}
export RSMI_CHAINS=${RSMI_CHAINS:-2}
export RSMI_ARGS=${RSMI_ARGS:-}
read -r -a site_args <<<"${RSMI_SBATCH_ARGS:-}"

if ! [[ $RSMI_NSHARDS =~ ^[1-9][0-9]*$ ]]; then
	echo "submit.sh: RSMI_NSHARDS='$RSMI_NSHARDS' is not a positive integer" >&2
	exit 2
fi
if ! [[ $RSMI_CHAINS =~ ^[1-9][0-9]*$ ]]; then
	echo "submit.sh: RSMI_CHAINS='$RSMI_CHAINS' is not a positive integer" >&2
	exit 2
fi
export RSMI_TASKS=${RSMI_TASKS:-0-$((RSMI_NSHARDS - 1))}
mkdir -p "$RSMI_OUT/shards" "$RSMI_OUT/logs"
RSMI_OUT=$(cd "$RSMI_OUT" && pwd)
if [[ $RSMI_OUT == *,* ]]; then
	echo "submit.sh: RSMI_OUT='$RSMI_OUT' contains a comma, which -merge's file list cannot hold" >&2
	exit 2
fi

if [[ -z ${RSMI_BIN:-} ]]; then
	RSMI_BIN=$RSMI_OUT/bin/sample
	echo "building examples/sample into $RSMI_BIN"
	(cd "$repo" && go build -o "$RSMI_BIN" ./examples/sample)
fi
if [[ ! -x $RSMI_BIN ]]; then
	echo "submit.sh: RSMI_BIN='$RSMI_BIN' is not an executable file" >&2
	exit 2
fi
RSMI_BIN=$(cd "$(dirname "$RSMI_BIN")" && pwd)/$(basename "$RSMI_BIN")
export RSMI_BIN

# Both jobs get the variables above through --export=ALL (whatever the site's
# SBATCH_EXPORT default) and run in RSMI_OUT.
common=(--parsable --export=ALL --chdir="$RSMI_OUT" "${site_args[@]}")

# submit WHAT SBATCH-ARGS...: runs sbatch in the background (with --wait it
# blocks until its job has ended) and sets job_pid and job_id as soon as
# sbatch has printed the id (--parsable; stdbuf makes the line reach the file
# at once rather than at sbatch's exit).
# On exit (also on Ctrl-C) the sbatch processes still waiting are stopped;
# the jobs themselves go on (scancel them to stop them).
tmpfiles=()
stop_waiting() {
	local running=()
	mapfile -t running < <(jobs -pr)
	((${#running[@]} == 0)) || kill "${running[@]}" 2>/dev/null || true
	rm -f "${tmpfiles[@]}"
}
trap stop_waiting EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
submit() {
	local what=$1 idfile
	shift
	idfile=$(mktemp "${TMPDIR:-/tmp}/rsmi-submit.XXXXXX")
	tmpfiles+=("$idfile")
	stdbuf -oL sbatch "${common[@]}" "${wait_flag[@]}" "$@" >"$idfile" &
	job_pid=$!
	job_id=
	for _ in $(seq 600); do
		job_id=$(head -n 1 "$idfile" | cut -d';' -f1)
		[[ -n $job_id ]] && return 0
		kill -0 "$job_pid" 2>/dev/null || break
		sleep 0.1
	done
	job_id=$(head -n 1 "$idfile" | cut -d';' -f1)
	[[ -n $job_id ]] && return 0
	kill "$job_pid" 2>/dev/null || true
	wait "$job_pid" || true
	echo "submit.sh: $what was not submitted (see sbatch's message above)" >&2
	exit 1
}

submit "the job array" --array="$RSMI_TASKS" --cpus-per-task="$RSMI_CHAINS" \
	--job-name=rsmi-shard --output="$RSMI_OUT/logs/shard-%A_%a.out" "$here/shard.sbatch"
array_pid=$job_pid array_id=$job_id
echo "submitted job array $array_id: shards $RSMI_TASKS of $RSMI_NSHARDS, $RSMI_MODEL L=$RSMI_L T=$RSMI_T, $RSMI_SAMPLES samples each, seed $RSMI_SEED"

# --kill-on-invalid-dep: if a shard fails, the merge is cancelled rather than
# left pending for ever (and sbatch --wait returns).
submit "the merge job (scancel $array_id if you give up)" --dependency="afterok:$array_id" \
	--kill-on-invalid-dep=yes --cpus-per-task=1 \
	--job-name=rsmi-merge --output="$RSMI_OUT/logs/merge-%j.out" "$here/merge.sbatch"
merge_pid=$job_pid merge_id=$job_id
echo "submitted merge job $merge_id, after job $array_id has succeeded: $RSMI_OUT/merged.npy"
squeue -j "$array_id,$merge_id" -o '%.12i %.12j %.10T %.9M %R' 2>/dev/null || true

if ((${#wait_flag[@]} == 0)); then
	wait "$array_pid" "$merge_pid"
	exit 0
fi
echo "waiting for both jobs (sbatch --wait) ..."
array_status=0 merge_status=0
wait "$array_pid" || array_status=$?
wait "$merge_pid" || merge_status=$?
if ((array_status != 0 || merge_status != 0)); then
	echo "submit.sh: sbatch --wait returned $array_status for job array $array_id and $merge_status for merge job $merge_id; logs in $RSMI_OUT/logs" >&2
	squeue -t all -j "$array_id,$merge_id" -o '%.12i %.12j %.10T %.9M %R' >&2 2>/dev/null || true
	exit 1
fi
echo "job array $array_id and merge job $merge_id finished: $RSMI_OUT/merged.npy"
