"""Fresh run IDs. The fakes (--auto-create) treat an unknown well-formed ID as a running run, and a
second cancel of one ID would get another answer (Skyvern even asks again per ID), so every request
of the suite uses IDs never sent before."""
import random
import uuid

# One ID per upstream in turn, so N IDs spread N/4 over each: Kubiya, Skyvern, Meibel, C1.
UPSTREAM_ORDER = ("kubiya", "skyvern", "meibel", "c1")


class FreshIDs:
    def __init__(self):
        self.next = 0
        self.base = random.randrange(10**12, 10**13)

    def _serial(self):
        self.next += 1
        return self.base + self.next

    def one(self, upstream):
        if upstream == "kubiya":
            return str(uuid.uuid4())
        if upstream == "skyvern":
            return f"tsk_{self._serial()}"
        if upstream == "meibel":
            return f"bex_{self._serial()}"
        return str(self._serial())

    def mixed(self, count):
        return [self.one(UPSTREAM_ORDER[i % len(UPSTREAM_ORDER)]) for i in range(count)]
