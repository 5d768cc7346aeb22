"""(Being built.)"""

from django.http import Http404


def lead_create(request, *args, **kwargs):
    raise Http404


def lead_detail(request, *args, **kwargs):
    raise Http404


def lead_update(request, *args, **kwargs):
    raise Http404


def lead_delete(request, *args, **kwargs):
    raise Http404
