# CPU-bound: integer and string work, dicts, sorting, a small class hierarchy.
import sys
scale = int(sys.argv[1]) if len(sys.argv) > 1 else 1

def primes(n):
    sieve = bytearray([1]) * (n + 1)
    sieve[0:2] = b"\0\0"
    for i in range(2, int(n ** 0.5) + 1):
        if sieve[i]:
            sieve[i * i::i] = bytes(len(range(i * i, n + 1, i)))
    return sum(sieve)

class Shape:
    def area(self): raise NotImplementedError
class Rect(Shape):
    def __init__(self, w, h): self.w, self.h = w, h
    def area(self): return self.w * self.h
class Tri(Rect):
    def area(self): return self.w * self.h // 2

def fib(n): return n if n < 2 else fib(n - 1) + fib(n - 2)

for _ in range(scale):
    print("primes", primes(300000))
    words = ["%x" % ((i * 2654435761) % 2 ** 32) for i in range(40000)]
    words.sort()
    counts = {}
    for w in words:
        counts[w[:2]] = counts.get(w[:2], 0) + 1
    print("words", len(counts), words[0], words[-1], max(counts.values()))
    shapes = [Rect(i % 13, i % 7) if i % 2 else Tri(i % 11, i % 5) for i in range(50000)]
    print("area", sum(s.area() for s in shapes))
    print("fib", fib(22), 2 ** 200 % 1000000007, sum(i * i for i in range(100000)))
