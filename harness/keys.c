/* keys — see keys.h. */
#include "keys.h"

#include "fsutil.h"
#include "log.h"
#include "paths.h"

#include <errno.h>
#include <libssh/libssh.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int keys_check_private(const char *path)
{
    struct stat st;

    if (stat(path, &st) < 0) {
        log_error("cannot read SSH key '%s': %s", path, strerror(errno));
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        log_error("SSH key '%s' is not a regular file", path);
        return -1;
    }
    if (st.st_uid != getuid()) {
        log_error("SSH key '%s' belongs to another user (uid %u)", path, (unsigned)st.st_uid);
        return -1;
    }
    if (st.st_mode & 077) {
        log_error("SSH key '%s' has mode %03o, so other users can read it: run 'chmod 600 %s'",
                  path, (unsigned)(st.st_mode & 0777), path);
        return -1;
    }
    return 0;
}

static int generate(const char *priv, const char *pub)
{
    ssh_key key = NULL;
    char *b64 = NULL, *line = NULL;
    int ret = -1;

    if (ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &key) != SSH_OK) {
        log_error("cannot generate an ed25519 SSH key");
        goto cleanup;
    }
    /* libssh writes the file with mode 0600 itself; unlink first so an old file's
     * mode cannot survive. */
    unlink(priv);
    if (ssh_pki_export_privkey_file(key, NULL, NULL, NULL, priv) != SSH_OK) {
        log_error("cannot write SSH key '%s'", priv);
        goto cleanup;
    }
    chmod(priv, 0600);
    if (ssh_pki_export_pubkey_base64(key, &b64) != SSH_OK) {
        log_error("cannot encode the public half of '%s'", priv);
        goto cleanup;
    }
    line = fsutil_printf("%s %s vmsweep\n", ssh_key_type_to_char(ssh_key_type(key)), b64);
    if (line == NULL || fsutil_write_atomic(pub, line, strlen(line), 0644) < 0)
        goto cleanup;
    log_info("created SSH client key '%s'", priv);
    ret = 0;
cleanup:
    ssh_string_free_char(b64);
    free(line);
    ssh_key_free(key);
    return ret;
}

int keys_ensure(struct keys *out)
{
    char *dir = NULL, *priv = NULL, *pub = NULL;
    int ret = -1;

    dir = paths_cache_sub("keys");
    if (dir == NULL)
        goto cleanup;
    priv = fsutil_printf("%s/id_ed25519", dir);
    pub = fsutil_printf("%s/id_ed25519.pub", dir);
    if (priv == NULL || pub == NULL)
        goto cleanup;
    if (!fsutil_exists(priv) || !fsutil_exists(pub)) {
        if (generate(priv, pub) < 0)
            goto cleanup;
    }
    if (keys_check_private(priv) < 0)
        goto cleanup;
    out->priv_path = priv;
    out->pub_path = pub;
    priv = pub = NULL;
    ret = 0;
cleanup:
    free(dir);
    free(priv);
    free(pub);
    return ret;
}

void keys_free(struct keys *k)
{
    if (k == NULL)
        return;
    free(k->priv_path);
    free(k->pub_path);
    k->priv_path = k->pub_path = NULL;
}
