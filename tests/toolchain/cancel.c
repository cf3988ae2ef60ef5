/* pthread_cancel of a thread blocked in read() (a cancellation point),
 * cleanup handlers, thread-specific data destructors, detached threads. */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <unistd.h>

static int fds[2];
static volatile int cleaned, destroyed, detached_ran;
static pthread_key_t key;
static sem_t ran;

static void cleanup(void *arg) { (void)arg; cleaned = 1; }
static void destroy(void *v) { (void)v; destroyed = 1; }

static void *blocker(void *arg)
{
	char c;
	(void)arg;
	pthread_setspecific(key, (void *)1);
	pthread_cleanup_push(cleanup, 0);
	read(fds[0], &c, 1);  /* blocks until cancelled */
	pthread_cleanup_pop(0);
	return 0;
}

static void *detached(void *arg)
{
	(void)arg;
	detached_ran = 1;
	sem_post(&ran);
	return 0;
}

int main(void)
{
	pthread_t t, d;
	void *res;
	int fails = 0;
	pipe(fds);
	sem_init(&ran, 0, 0);
	pthread_key_create(&key, destroy);
	pthread_create(&t, 0, blocker, 0);
	usleep(100000);  /* let it block; cancellation works either way */
	pthread_cancel(t);
	if (pthread_join(t, &res) || res != PTHREAD_CANCELED) fails++;
	if (!cleaned || !destroyed) fails++;

	pthread_attr_t a;
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&d, &a, detached, 0)) fails++;
	sem_wait(&ran);
	if (!detached_ran) fails++;
	printf("%s\n", fails ? "FAIL" : "ok");
	return fails;
}
