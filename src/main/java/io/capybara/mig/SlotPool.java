package io.capybara.mig;

import java.util.function.IntFunction;
import java.util.function.LongConsumer;
import java.util.function.ObjLongConsumer;
import java.util.function.ToLongFunction;

/**
 * A fixed pool of preallocated slots, one per migration a side runs at once (the origin's
 * outgoing migrations, the target's temporary buffers): claimed and released without
 * allocating. Lookups scan in slot order (pools hold tens of slots), so which slot a claim
 * takes is deterministic.
 */
final class SlotPool<S extends SlotPool.Slot> {
    /** What the pool keeps of each slot: whether a migration holds it, and its timer. */
    abstract static class Slot {
        boolean claimed; // written by the pool only
        /** When the migration's timer fires (engine clock), while claimed. */
        long deadline;

        /** Whether a migration holds this slot (else its fields are leftovers). */
        final boolean claimed() {
            return claimed;
        }
    }

    private final S[] slots;
    private int claimed;

    SlotPool(int size, IntFunction<S[]> array, java.util.function.Supplier<S> slot) {
        this.slots = array.apply(size);
        for (int i = 0; i < size; i++) {
            slots[i] = slot.get();
        }
    }

    /** Slots held now. */
    int claimed() {
        return claimed;
    }

    boolean full() {
        return claimed >= slots.length;
    }

    /** Every slot, claimed or not, in slot order (a view: do not modify). */
    S[] all() {
        return slots;
    }

    /** The first free slot, now claimed; null when all are held. */
    S claim() {
        for (S s : slots) {
            if (!s.claimed) {
                s.claimed = true;
                claimed++;
                return s;
            }
        }
        return null;
    }

    /** Frees a slot; false if it was free already. */
    boolean release(S s) {
        if (!s.claimed) {
            return false;
        }
        s.claimed = false;
        claimed--;
        return true;
    }

    /**
     * The timer scan: {@code onTimeout} for each claimed slot whose deadline has come (it may
     * release the slot or move its deadline), then {@code arm} with the deadline of each slot
     * still claimed. Returns how many timed out.
     */
    int expire(long now, ObjLongConsumer<S> onTimeout, LongConsumer arm) {
        int fired = 0;
        for (S s : slots) {
            if (s.claimed && s.deadline <= now) {
                onTimeout.accept(s, now);
                fired++;
            }
            if (s.claimed) {
                arm.accept(s.deadline);
            }
        }
        return fired;
    }

    /** The claimed slot whose {@code key} is {@code value}, or null (pass a non-capturing key: no allocation). */
    S find(ToLongFunction<S> key, long value) {
        if (claimed == 0) {
            return null;
        }
        for (S s : slots) {
            if (s.claimed && key.applyAsLong(s) == value) {
                return s;
            }
        }
        return null;
    }
}
