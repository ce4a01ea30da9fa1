/*
 * paths — where vmsweep keeps its things.
 *
 *   cache   $XDG_CACHE_HOME/vmsweep (default ~/.cache/vmsweep): images/, keys/, embed/
 *   data    the folder holding images/ and sweeps/ (VMSWEEP_DATADIR, else the source tree
 *           the binary was built from)
 *   agent   the vmsweep-agent binary (VMSWEEP_AGENT, else next to the vmsweep binary)
 *
 * Every function returns a malloc'ed string the caller frees, or NULL after reporting.
 */
#ifndef VMSWEEP_PATHS_H
#define VMSWEEP_PATHS_H

/* The cache directory, created (0700) if missing. */
char *paths_cache_dir(void);

/* A subdirectory of the cache directory, created (0700) if missing. */
char *paths_cache_sub(const char *sub);

/* The data directory (images/, sweeps/); checked to exist. */
char *paths_data_dir(void);

/*
 * The agent binary for guests of arch (NULL: the host's own), checked to be executable;
 * the message says how to build it.  The host's is VMSWEEP_AGENT or vmsweep-agent beside
 * the vmsweep binary; another arch's is VMSWEEP_AGENT_<ARCH> or vmsweep-agent-<arch>.
 */
char *paths_agent(const char *arch);

#endif
