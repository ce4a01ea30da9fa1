/*
 * keys — the user's SSH client key for talking to guests.
 *
 * One ed25519 key per user, generated on first use under <cache>/keys/ (private 0600,
 * directory 0700) and baked into every image's authorized_keys.  No passwords anywhere.
 */
#ifndef VMSWEEP_KEYS_H
#define VMSWEEP_KEYS_H

struct keys {
    char *priv_path; /* OpenSSH private key, mode 0600 */
    char *pub_path;  /* "ssh-ed25519 AAAA... vmsweep" */
};

/*
 * Find or create the client key pair.  Refuses (-1, reported) a private key that other
 * users can read, saying how to fix it.  Fills *out on success; free with keys_free.
 */
int keys_ensure(struct keys *out);

/* Free the paths held by k (k itself is not freed; NULL is fine). */
void keys_free(struct keys *k);

/*
 * Check that path is a regular file owned by us and not readable or writable by group or
 * others; -1 with a message saying "chmod 600" otherwise.
 */
int keys_check_private(const char *path);

#endif
