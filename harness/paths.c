/* paths — see paths.h. */
#include "paths.h"

#include "fsutil.h"
#include "log.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <pwd.h>
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

char *paths_data_dir(void)
{
    const char *env = getenv("VMSWEEP_DATADIR");
    const char *dir = env && env[0] ? env : VMSWEEP_SRCDIR;
    char *probe = fsutil_printf("%s/images/build-tiny.sh", dir);

    if (probe == NULL)
        return NULL;
    if (!fsutil_exists(probe)) {
        log_error("data directory '%s' has no images/build-tiny.sh: set VMSWEEP_DATADIR to "
                  "the vmsweep source tree",
                  dir);
        free(probe);
        return NULL;
    }
    free(probe);
    return strdup(dir);
}

char *paths_agent(void)
{
    const char *env = getenv("VMSWEEP_AGENT");
    char self[PATH_MAX];
    char *path = NULL;

    if (env && env[0]) {
        path = strdup(env);
    } else {
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (n < 0) {
            log_error("cannot find the vmsweep binary: %s", strerror(errno));
            return NULL;
        }
        self[n] = '\0';
        path = fsutil_printf("%s/vmsweep-agent", dirname(self));
    }
    if (path && access(path, X_OK) < 0) {
        log_error("agent binary '%s' is missing or not executable: run 'make' (or set "
                  "VMSWEEP_AGENT)",
                  path);
        free(path);
        return NULL;
    }
    return path;
}
