/** Worker-test helper: a module that throws while it loads. */
throw new Error('this module fails to load')
