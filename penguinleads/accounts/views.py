"""Team, invitations and notifications. (Being built: see issue 2.)"""

from django.contrib.auth.decorators import login_required
from django.http import Http404


@login_required
def team_list(request):
    raise Http404


@login_required
def team_invite(request):
    raise Http404


@login_required
def team_member_edit(request, pk):
    raise Http404


def invitation_accept(request, token):
    raise Http404


@login_required
def notification_list(request):
    raise Http404


@login_required
def notification_mark_all_read(request):
    raise Http404
