"""The home page: what an operator or approver opens the portal for (``procedures.overview``), kept live.

The page holds its panels in one fragment (``home-panels``); the home socket (``live.consumers.HomeConsumer``)
rings when a run of the person's domains changes, and the page fetches the fragment again.
"""

from django.shortcuts import render
from django.views import View

from procedures.overview import overview_for


class HomeView(View):
    template_name = "procedures/home.html"

    def get(self, request):
        overview = overview_for(request.user)
        # The header's count (portal.context_processors.approver_queue) from the queue the page has just read.
        return render(request, self.template_name, {"overview": overview, "approver_queue_count": overview.queue.count})


class HomePanelsView(HomeView):
    template_name = "procedures/_home_panels.html"
