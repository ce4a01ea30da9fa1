/*
 * condwait — wait on a condition variable for at most a number of milliseconds (the run's
 * wait for a size's thread, the jump's wait for a channel to open).  Header-only.
 */
#ifndef VMSWEEP_CONDWAIT_H
#define VMSWEEP_CONDWAIT_H

#include <pthread.h>
#include <time.h>

/*
 * pthread_cond_timedwait on cv (mu held) until ms milliseconds from now on
 * CLOCK_REALTIME (the condition variable's default clock); returns its result
 * (ETIMEDOUT when the time passed).  Callers check their condition again either way.
 */
static inline int condwait_ms(pthread_cond_t *cv, pthread_mutex_t *mu, long ms)
{
    struct timespec until;

    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += ms % 1000 * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    return pthread_cond_timedwait(cv, mu, &until);
}

#endif
