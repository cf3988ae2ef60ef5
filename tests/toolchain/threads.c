/* pthread_create/join, mutex, condvar, thread-locals. */
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
static int counter, ready;
static __thread int mine = 7;

static void *worker(void *arg)
{
	mine += (int)(long)arg;
	for (int i = 0; i < 1000; i++) {
		pthread_mutex_lock(&m);
		counter++;
		pthread_mutex_unlock(&m);
	}
	pthread_mutex_lock(&m);
	ready++;
	pthread_cond_signal(&c);
	pthread_mutex_unlock(&m);
	return (void *)(long)mine;
}

int main(void)
{
	pthread_t t[4];
	for (long i = 0; i < 4; i++)
		if (pthread_create(&t[i], 0, worker, (void *)i)) { puts("create failed"); return 1; }
	pthread_mutex_lock(&m);
	while (ready < 4) pthread_cond_wait(&c, &m);
	pthread_mutex_unlock(&m);
	int bad = 0;
	for (long i = 0; i < 4; i++) {
		void *r;
		pthread_join(t[i], &r);
		if ((long)r != 7 + i) bad++;
	}
	if (mine != 7) bad++;
	printf("counter=%d %s\n", counter, counter == 4000 && !bad ? "ok" : "FAIL");
	return counter != 4000 || bad;
}
