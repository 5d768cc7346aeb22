"""(Being built.)"""

from django.http import Http404


def custom_field_list(request, *args, **kwargs):
    raise Http404


def custom_field_create(request, *args, **kwargs):
    raise Http404


def custom_field_update(request, *args, **kwargs):
    raise Http404


def custom_field_delete(request, *args, **kwargs):
    raise Http404
