/* __atomic and __sync builtins on 8/16/32/64-bit objects (single thread):
 * load/store, exchange, compare-exchange (strong and weak, success and
 * failure), fetch-op and op-fetch for add/sub/and/or/xor/nand, test-and-set,
 * fences. With -march defaults gcc emits LDXR/STXR loops or calls
 * libgcc's outline atomics, which pick LSE instructions when AT_HWCAP says so. */
#include <stdio.h>
#include <stdint.h>
#include <stdbool.h>

#define TEST_TYPE(T, NAME, INIT)                                                                   \
    static void test_##NAME(void)                                                                  \
    {                                                                                              \
        T v = (T)(INIT), e, r;                                                                     \
        unsigned long long h = 0;                                                                  \
        __atomic_store_n(&v, (T)(INIT), __ATOMIC_RELEASE);                                         \
        h = h * 31 + (unsigned long long)__atomic_load_n(&v, __ATOMIC_ACQUIRE);                    \
        r = __atomic_exchange_n(&v, (T)0x5a, __ATOMIC_SEQ_CST);                                    \
        h = h * 31 + (unsigned long long)r + (unsigned long long)v;                                \
        e = (T)0x5a;                                                                               \
        bool ok1 = __atomic_compare_exchange_n(&v, &e, (T)0x77, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); \
        e = (T)0x11;                                                                               \
        bool ok2 = __atomic_compare_exchange_n(&v, &e, (T)0x99, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE); \
        h = h * 31 + (unsigned long long)e;                                                        \
        e = v;                                                                                     \
        bool ok3;                                                                                  \
        int spins = 0;                                                                             \
        do { ok3 = __atomic_compare_exchange_n(&v, &e, (T)(e + 1), 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED); } while (!ok3 && ++spins < 1000); \
        h = h * 31 + (unsigned long long)v;                                                        \
        for (int i = 0; i < 1000; i++) {                                                           \
            r = __atomic_fetch_add(&v, (T)(i * 3), __ATOMIC_SEQ_CST);                              \
            h = h * 31 + (unsigned long long)r;                                                    \
            r = __atomic_sub_fetch(&v, (T)i, __ATOMIC_ACQ_REL);                                    \
            h = h * 31 + (unsigned long long)r;                                                    \
            r = __atomic_fetch_xor(&v, (T)(0x5555 * i), __ATOMIC_RELAXED);                         \
            h = h * 31 + (unsigned long long)r;                                                    \
            r = __atomic_or_fetch(&v, (T)(1u << (i % (8 * sizeof(T)))), __ATOMIC_RELEASE);        \
            h = h * 31 + (unsigned long long)r;                                                    \
            r = __atomic_fetch_and(&v, (T)~(T)(1u << ((i * 7) % (8 * sizeof(T)))), __ATOMIC_ACQUIRE); \
            h = h * 31 + (unsigned long long)r;                                                    \
            r = __atomic_nand_fetch(&v, (T)(i | 0x0f0f), __ATOMIC_SEQ_CST);                        \
            h = h * 31 + (unsigned long long)r;                                                    \
            r = __sync_fetch_and_add(&v, (T)5);                                                    \
            h = h * 31 + (unsigned long long)r;                                                    \
            r = __sync_val_compare_and_swap(&v, (T)(r + 5), (T)(r ^ 0x3c));                        \
            h = h * 31 + (unsigned long long)r;                                                    \
            h = h * 31 + (unsigned long long)__sync_bool_compare_and_swap(&v, (T)1, (T)2);         \
        }                                                                                          \
        printf("%-4s ok=%d%d%d final=%llx hash=%016llx\n", #NAME, ok1, ok2, ok3,                 \
               (unsigned long long)v, h);                                                          \
    }

TEST_TYPE(uint8_t, u8, 0xa5)
TEST_TYPE(uint16_t, u16, 0xbeef)
TEST_TYPE(uint32_t, u32, 0xdeadbeef)
TEST_TYPE(uint64_t, u64, 0x0123456789abcdefULL)
TEST_TYPE(int32_t, s32, -12345)

int main(void)
{
    test_u8();
    test_u16();
    test_u32();
    test_u64();
    test_s32();
    volatile bool flag = false;
    bool was1 = __atomic_test_and_set((void *)&flag, __ATOMIC_SEQ_CST);
    bool was2 = __atomic_test_and_set((void *)&flag, __ATOMIC_SEQ_CST);
    __atomic_clear((void *)&flag, __ATOMIC_SEQ_CST);
    bool was3 = __atomic_test_and_set((void *)&flag, __ATOMIC_SEQ_CST);
    printf("test_and_set: %d %d %d\n", was1, was2, was3);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    __sync_synchronize();
    printf("lock free: %d %d %d %d\n", __atomic_always_lock_free(1, 0), __atomic_always_lock_free(2, 0),
           __atomic_always_lock_free(4, 0), __atomic_always_lock_free(8, 0));
    /* a spinlock-protected counter */
    static int lock;
    static long counter;
    for (int i = 0; i < 10000; i++) {
        while (__atomic_exchange_n(&lock, 1, __ATOMIC_ACQUIRE)) { }
        counter += i;
        __atomic_store_n(&lock, 0, __ATOMIC_RELEASE);
    }
    printf("counter=%ld lock=%d\n", counter, lock);
    return 0;
}
