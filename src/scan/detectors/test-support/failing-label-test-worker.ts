/** A label-test thread entry that fails at once, as a thread that dies would: its pairs must be tested on the main thread. */
throw new Error('label-test thread failed on purpose');
