"""Step 1: upload the file, see how it was read, and change that if it was read wrong."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_POST

from imports.forms import RereadForm, UploadForm
from imports.models import ImportJob
from imports.reading import FileReadError
from imports.reading.base import size_label
from imports.reading.encoding import encoding_label
from imports.services import TransitionRefused, import_job_create, import_job_reread
from imports.uploads import oversize_message, workspace_limits
from imports.views.common import RUN, is_ajax, job_or_404, wizard_context

DELIMITER_LABELS = {",": "Comma", ";": "Semicolon", "\t": "Tab", "|": "Pipe"}


def list_session_key(job_id: int) -> str:
    # "Import into this list" survives the steps between upload and options here.
    return f"import_{job_id}_list"


# Room for the multipart framing and the form's other fields around the file.
FORM_OVERHEAD_BYTES = 64 * 1024


class UploadSizeGuard(FileUploadHandler):
    """The upload view's first handler: a request body bigger than the workspace's
    file limit (from its Content-Length) has its file skipped while it streams in,
    so it is never held in memory nor spooled to a temporary file; the view then
    refuses it with the size message. Files just under the overhead margin are
    refused by ``import_job_create`` from their exact size.
    """

    def __init__(self, request: HttpRequest, max_bytes: int):
        super().__init__(request)
        self.max_bytes = max_bytes
        self.declared = 0

    @property
    def refused(self) -> bool:
        return self.declared > self.max_bytes + FORM_OVERHEAD_BYTES

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.declared = content_length
        return None  # let the parser go on: the CSRF token and other fields are still read

    def new_file(self, *args, **kwargs):
        if self.refused:
            raise SkipFile  # the parser drains this file's bytes without keeping them

    def receive_data_chunk(self, raw_data, start):
        return raw_data

    def file_complete(self, file_size):
        return None


@csrf_exempt  # only to install the guard before the body is parsed; checked just below
def import_upload(request: HttpRequest) -> HttpResponse:
    """The drop zone; see ``_import_upload``. CSRF is enforced by ``csrf_protect``
    after the guard is in place (the middleware would parse the body first)."""
    guard = None
    if request.method == "POST" and getattr(request, "tenant", None) is not None:
        guard = UploadSizeGuard(request, workspace_limits().max_bytes)
        request.upload_handlers.insert(0, guard)
    return _import_upload(request, guard=guard)


@csrf_protect
@login_required
@permission_required(RUN, raise_exception=True)
@require_http_methods(["GET", "POST"])
def _import_upload(request: HttpRequest, guard: UploadSizeGuard | None = None) -> HttpResponse:
    """The drop zone. POST stores the file and reads its profile, then shows it.

    A file that cannot be read is refused with the reader's message and
    nothing is kept; a request larger than the size limit is refused without
    its file being stored anywhere (``UploadSizeGuard``). The upload script
    (static/js/imports.js) posts with XMLHttpRequest for its progress bar and
    gets JSON: ``{"redirect": url}`` or ``{"error": message}``; without script
    it is an ordinary form post.
    """
    initial = {"list_id": request.GET.get("list"), "source": request.GET.get("source")}
    bound = request.method == "POST"
    form = UploadForm(
        request.POST if bound else None, request.FILES if bound else None, initial=initial
    )
    if guard is not None and guard.refused:
        form.is_valid()  # the file was skipped: replace "choose a file" with the real reason
        form.errors.clear()
        form.add_error(None, oversize_message(guard.declared, guard.max_bytes))
    elif request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = import_job_create(
                actor=request.user,
                stream=upload,
                file_name=upload.name,
                size=upload.size,
                source=form.cleaned_data["source"] or ImportJob.Source.WIZARD,
            )
        except FileReadError as exc:
            form.add_error(None, exc.message)
        else:
            if form.cleaned_data["list_id"]:
                request.session[list_session_key(job.pk)] = form.cleaned_data["list_id"]
            if is_ajax(request):
                return JsonResponse({"redirect": job.get_absolute_url()})
            return redirect(job)
    if request.method == "POST" and is_ajax(request):
        errors = [str(e) for e in form.non_field_errors()] + [
            str(e) for name, errs in form.errors.items() if name != "__all__" for e in errs
        ]
        return JsonResponse({"error": " ".join(errors)}, status=400)
    limits = workspace_limits()
    context = wizard_context(
        None,
        1,
        form=form,
        max_size=size_label(limits.max_bytes),
        max_rows=limits.max_rows,
        max_columns=limits.max_columns,
    )
    return render(request, "imports/importjob_upload.html", context)


def import_profile(request: HttpRequest, job: ImportJob) -> HttpResponse:
    """The uploaded file as read: format, encoding, delimiter, header row, first rows.

    Rendered by the job's detail page while the job is ``uploaded``.
    """
    profile = job.profile
    context = wizard_context(
        job,
        1,
        profile=profile,
        reread_form=RereadForm(profile=profile),
        file_size_label=size_label(job.file_size),
        encoding=encoding_label(profile.get("encoding") or ""),
        delimiter=DELIMITER_LABELS.get(profile.get("delimiter") or "", profile.get("delimiter")),
    )
    return render(request, "imports/importjob_upload.html", context)


@login_required
@permission_required(RUN, raise_exception=True)
@require_POST
def import_reread(request: HttpRequest, pk: int) -> HttpResponse:
    """Read the file again with the encoding, delimiter, header row or sheet chosen."""
    job = job_or_404(pk)
    form = RereadForm(request.POST, profile=job.profile)
    if not form.is_valid():
        messages.error(request, "Those reading options are not valid: " + form.errors.as_text())
        return redirect(job)
    try:
        import_job_reread(job=job, options=form.read_options())
    except FileReadError as exc:
        messages.error(request, f"Read with those options, the file fails: {exc.message}")
    except TransitionRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "File read again. Check the first rows below.")
    return redirect(job)
