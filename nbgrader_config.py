"""nbgrader configuration for the course. The course root is this folder; the gradebook is gradebook.db here."""
import os

c = get_config()  # noqa: F821  (provided by nbgrader when it loads this file)

root = os.path.dirname(os.path.abspath(__file__))

c.CourseDirectory.root = root
c.CourseDirectory.course_id = "deep-learning-numpy"
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.release_directory = "release"
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(root, "gradebook.db")

c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# The release is what nbgrader makes, plus an "Open in Colab" badge (set the repository students open it from) and
# the hand-in cell's service address and assignment (set before the checksums: the cell is locked).
c.GenerateAssignment.preprocessors = [
    "nbgrader.preprocessors.IncludeHeaderFooter",
    "autograder.preprocessors.FillHandInCell",
    "nbgrader.preprocessors.InstantiateTests",
    "nbgrader.preprocessors.LockCells",
    "nbgrader.preprocessors.ClearSolutions",
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.CheckCellMetadata",
    "nbgrader.preprocessors.ComputeChecksums",
    "nbgrader.preprocessors.SaveCells",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbgrader.preprocessors.ClearMarkScheme",
    "nbgrader.preprocessors.ComputeChecksums",
    "nbgrader.preprocessors.CheckCellMetadata",
    "autograder.preprocessors.AddColabBadge",
]
c.AddColabBadge.repository = "deep-learning-numpy/course"
c.AddColabBadge.branch = "main"
# The hand-in service's public address (docs/GRADING.md, "The hand-in service"); "" while the course has none.
c.FillHandInCell.service = ""

# Grading: per-cell timeout (seconds); the pipeline adds its own per-notebook limits on top.
c.Execute.timeout = 120

# ---- Grading pipeline: collect, grade, report (docs/GRADING.md) ----

# Late policy (an nbgrader LateSubmissionPlugin): after the deadline but by 23:59 that day loses 30%; later scores 0.
c.AssignLatePenalties.plugin_class = "autograder.late.LatePolicy"
c.LatePolicy.timezone = "Europe/London"
c.LatePolicy.same_day_penalty = 0.3
c.LatePolicy.cutoff = "23:59"
c.LatePolicy.deadlines = {
    "lab7_optimizers": "2025-03-14 17:00",
    "toy_chain_backprop": "2025-03-14 17:00",
    "rosenbrock_gd_momentum": "2025-03-21 17:00",
    "moons_tanh_net": "2025-03-28 17:00",
    "wine_mlp_backprop": "2025-04-04 17:00",
    "mnist_two_layer_net": "2025-04-11 17:00",
}

# Naming rule of submitted notebooks: "{assignment}_{student_id}.ipynb" unless listed here.
c.CourseFileNames.student_id_regexp = r"[a-z]{2}[0-9]{4}"
c.CourseFileNames.file_names = {"lab7_optimizers": "Lab_7_{student_id}"}
c.ZipCollectApp.collector_plugin = "autograder.collect.CourseFileNames"  # `nbgrader zip_collect` reads names the same way

# Grading: workers, and repairs. A notebook's time and memory limits are set once, as c.SandboxedExecute.
# notebook_timeout and memory_limit (below); `grade` applies them with nbgrader's own Execute step too.
c.GradeSubmissions.workers = 0  # 0: one per CPU core
# On a Dask cluster instead (docs/GRADING.md, "Grading on a cluster"), with a PostgreSQL gradebook every stage uses:
# c.GradeSubmissions.scheduler = "tcp://10.0.0.5:8786"
# c.CourseDirectory.db_url = "postgresql://grader@10.0.0.6/deep_learning_numpy"
c.RepairCells.min_resemblance = 0.5


# One pipeline: the formgrader's Autograde button grades through `python -m autograder grade --force --student ID`,
# so the autograded notebook, its metadata and the gradebook are what `grade` writes (docs/GRADING.md). In a
# terminal, `nbgrader autograde` stays nbgrader's own (the reference the tests and benchmarks compare with).
def _autograde_with_grade(**kwargs):
    import sys

    if root not in sys.path:
        sys.path.insert(0, root)
    from autograder.formgrader import grade_instead

    grade_instead(**kwargs)


c.Autograde.pre_convert_hook = _autograde_with_grade
# Flags of this severity or above ("notice" < "limit" < "attempt") set nbgrader's `flagged` (formgrader: "Flagged?").
c.GradebookSync.flag_severity = "limit"

# Feedback shows test names and messages, never hidden test code, nor anything printed while a hidden test ran
# (a function that prints its arguments would show the hidden inputs): HideHiddenTestOutput, before ClearHiddenTests.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "autograder.preprocessors.SanitizeHTML",
    "autograder.preprocessors.HideHiddenTestOutput",
    "autograder.preprocessors.hidetracebacks.HideTracebacks",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
c.ReportGrades.canvas_columns = {}  # e.g. {"lab7_optimizers": "Lab 7 (123456)"}: the column name Canvas exports

# The hand-in service (`python -m autograder serve`, docs/GRADING.md "The hand-in service"): on 127.0.0.1 behind a TLS
# reverse proxy; students' tokens from `python -m autograder tokens roster.csv --out tokens.csv`. The visible checks
# run on GradeSubmissions' workers or scheduler unless set here; hidden results only after the deadline.
c.Serve.host = "127.0.0.1"
c.Serve.port = 8765
c.Serve.assignments = []             # open for hand-in; empty: every released assignment
c.Serve.queue_limit = 400            # submissions waiting for their checks at most (a class burst of 200 fits); then 503
c.Serve.retry_after = 30             # seconds a busy answer tells the student to wait
c.Serve.rate_per_minute = 6.0        # per student, on average (a token bucket) ...
c.Serve.rate_burst = 10              # ... and at once; then 429
c.Serve.hidden_results = "after-deadline"  # or "never"

# Similarity report (`python -m autograder similarity <a>`): a question counts against a pair when at least
# `threshold` of one student's own work there (not the release, the model answer or what more than `common`
# submissions share) is in the other's answer; the pair is flagged when those questions share `min_tokens` code
# tokens (`min_words` words of written answers) of their own. The defaults (threshold 0.75, min_tokens 40,
# min_words 20, top 20) are measured in autograder/similarity.py; to change one, e.g.:
# c.SimilarityReport.top = 50

# Grading safety ------------------------------------------------------------------------------------------------
# Student code runs in a sandboxed kernel (private root without the course folder, no network, own PID space, an
# unprivileged uid, rlimits, per-cell and per-notebook time limits, an output cap); test cells run in the grader
# with the gradebook's code and pristine numpy. What held and what was attempted goes into each autograded
# notebook's metadata ("autograder": {"sandbox": ..., "flags": [...]}) and the log. See docs/SECURITY.md.
c.Autograde.sanitize_preprocessors = [  # nbgrader's, reading the cells of an unchanged gradebook file once
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.DeduplicateIds",
    "autograder.preprocessors.OverwriteKernelspec",  # in place of nbgrader.preprocessors.OverwriteKernelspec
    "autograder.preprocessors.OverwriteCells",       # in place of nbgrader.preprocessors.OverwriteCells
    "nbgrader.preprocessors.CheckCellMetadata",
]
c.Autograde.autograde_preprocessors = [
    "autograder.preprocessors.SandboxedExecute",  # in place of nbgrader.preprocessors.Execute
    "autograder.preprocessors.SanitizeHTML",      # no script, handler or frame from a student's output
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "autograder.preprocessors.SessionSaveAutoGrades",       # nbgrader's SaveAutoGrades and AssignLatePenalties,
    "autograder.preprocessors.SessionAssignLatePenalties",  # in one gradebook session per submission when graded
    "nbgrader.preprocessors.CheckCellMetadata",
]
c.SandboxedExecute.isolation = "auto"       # "namespaces" where unshare works as root, else "plain" (rlimits, uid)
c.SandboxedExecute.notebook_timeout = 600   # seconds for the whole notebook (Execute.timeout is per cell)
c.SandboxedExecute.memory_limit = 4 << 30   # bytes: each kernel process's address space, and the kernel's whole
                                            # process tree (a control group, where the machine has them)
c.SandboxedExecute.message_limit = 256 << 20  # bytes the kernel may send the grader in one answer: MNIST's test of
                                             # prepare_mnist reads the prepared data set (about 220 MB of arrays)
c.SandboxedExecute.network = False
# What a TA's browser shows (feedback/*.html, the formgrader's pages) is cleaned by nh3: no scripts, event handlers,
# frames or javascript: links from a student's markdown or outputs (autograder/preprocessors/sanitizehtml.py).
c.HTMLExporter.sanitize_html = True
c.HTMLExporter.filters = {"clean_html": "autograder.preprocessors.sanitizehtml.clean_html"}
# The formgrader's grading page shows the grader's notes for the TA above each submission: flags and their reasons,
# lateness and the total after the penalty, written answers left to grade, similar pairs (only on the formgrader's
# pages: a student's feedback, made by the same exporter, never shows them).
c.HTMLExporter.preprocessors = ["autograder.tanotes.TANotes"]
