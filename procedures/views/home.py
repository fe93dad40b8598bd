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
        return render(request, self.template_name, {"overview": overview_for(request.user)})


class HomePanelsView(HomeView):
    template_name = "procedures/_home_panels.html"
