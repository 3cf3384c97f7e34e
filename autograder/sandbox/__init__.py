"""The grading sandbox: the student's kernel locked down, the tests evaluated in the grader.

- `codec`: the JSON codec for what crosses between grader and kernel (data and references, never pickle);
- `agent`: the kernel side, which answers the grader's requests about the student's objects;
- `remote`: the grader side: the channel, proxies of kernel objects, `inspect`/`linecache` for test code;
- `testcell`: one test cell evaluated in the grader;
- `isolation` and `launch`: the kernel's namespaces, private root, uid and rlimits;
- `cgroups`: the control group that bounds the memory and processes of the kernel's whole process tree;
- `uids`: a uid of its own for each kernel, leased while its sandbox lives;
- `zygote`: kernels forked from a process that imported what they need once;
- `scan`: static flags for attempts on the grading.

`autograder.preprocessors.SandboxedExecute` puts them together as nbgrader's Execute step.
"""
