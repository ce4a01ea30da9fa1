/* vmsweep-agent — placeholder entry point until the agent lands. */
#include <stdio.h>

int main(void)
{
    puts("vmsweep-agent " VMSWEEP_VERSION);
    return 0;
}
