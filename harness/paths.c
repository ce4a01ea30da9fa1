/* paths — see paths.h. */
#include "paths.h"

#include "fsutil.h"
#include "log.h"

#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *paths_cache_dir(void)
{
    const char *xdg = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    char *dir = NULL;

    if (xdg && xdg[0] == '/') {
        dir = fsutil_printf("%s/vmsweep", xdg);
    } else {
        if (home == NULL || home[0] != '/') {
            struct passwd *pw = getpwuid(getuid());
            home = pw ? pw->pw_dir : NULL;
        }
        if (home == NULL) {
            log_error("cannot find a cache directory: set XDG_CACHE_HOME or HOME");
            return NULL;
        }
        dir = fsutil_printf("%s/.cache/vmsweep", home);
    }
    if (dir && fsutil_mkdir_p(dir, 0700) < 0) {
        free(dir);
        return NULL;
    }
    return dir;
}

char *paths_cache_sub(const char *sub)
{
    char *base = paths_cache_dir();
    char *dir = NULL;

    if (base == NULL)
        return NULL;
    dir = fsutil_printf("%s/%s", base, sub);
    free(base);
    if (dir && fsutil_mkdir_p(dir, 0700) < 0) {
        free(dir);
        return NULL;
    }
    return dir;
}

/* The path of name in the folder of the running binary (malloc'd), or NULL (reported). */
static char *beside_self(const char *name)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

    if (n < 0) {
        log_error("cannot find the vmsweep binary: %s", strerror(errno));
        return NULL;
    }
    self[n] = '\0';
    return fsutil_printf("%s/%s", dirname(self), name);
}

/* Does dir hold vmsweep's data (the image recipe)? */
static bool data_dir_ok(const char *dir)
{
    char *probe = fsutil_printf("%s/images/build-tiny.sh", dir);
    bool ok = probe && fsutil_exists(probe);
    free(probe);
    return ok;
}

char *paths_data_dir(void)
{
    const char *env = getenv("VMSWEEP_DATADIR");
    char *installed;

    if (env && env[0]) {
        if (data_dir_ok(env))
            return strdup(env);
        log_error("VMSWEEP_DATADIR '%s' has no images/build-tiny.sh: point it at the "
                  "installed share/vmsweep folder or at the vmsweep source tree",
                  env);
        return NULL;
    }
    /* Installed: PREFIX/bin/vmsweep finds PREFIX/share/vmsweep, wherever PREFIX is. */
    installed = beside_self("../share/vmsweep");
    if (installed && data_dir_ok(installed))
        return installed;
    free(installed);
    /* Built: the source tree it was built in. */
    if (data_dir_ok(VMSWEEP_SRCDIR))
        return strdup(VMSWEEP_SRCDIR);
    log_error("vmsweep's data (sweeps/, images/) is neither beside the binary "
              "(../share/vmsweep) nor in '%s': set VMSWEEP_DATADIR",
              VMSWEEP_SRCDIR);
    return NULL;
}

char *paths_agent(const char *arch)
{
    char var[64] = "VMSWEEP_AGENT", file[64] = "vmsweep-agent";
    const char *env;
    char *path;

    if (arch) {
        snprintf(file, sizeof(file), "vmsweep-agent-%s", arch);
        snprintf(var, sizeof(var), "VMSWEEP_AGENT_%s", arch);
        for (char *c = var; *c; c++)
            *c = (char)toupper((unsigned char)*c);
    }
    env = getenv(var);
    path = env && env[0] ? strdup(env) : beside_self(file);
    if (path && access(path, X_OK) < 0) {
        log_error("agent binary '%s' is missing or not executable: run 'make'%s (or set %s)", path,
                  arch ? " with the cross compiler (ci/install-deps.sh installs it)" : "", var);
        free(path);
        return NULL;
    }
    return path;
}
