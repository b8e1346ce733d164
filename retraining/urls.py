from django.urls import path

from retraining import run_now

app_name = "retraining"

urlpatterns = [
    path("check/", run_now.check_now, name="check-now"),
    path("retrain/", run_now.retrain_now, name="retrain-now"),
]
