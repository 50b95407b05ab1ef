// The few libgomp entry points the thread pool needs. omp.h lives in GCC's private include
// directory, which clang does not search, so the prototypes are declared here.
#ifndef MPW_COPENMP_SHIM_H
#define MPW_COPENMP_SHIM_H
void GOMP_parallel(void (*fn)(void *), void *data, unsigned num_threads, unsigned flags);
int omp_get_thread_num(void);
int omp_get_num_threads(void);
int omp_get_max_threads(void);
int omp_in_parallel(void);
void omp_set_num_threads(int count);
#endif
