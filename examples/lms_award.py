"""An LMS awards a badge when a learner completes a course (FastAPI).

    pip install 'mcbadge[examples]'
    MCBADGE_ISSUER=./pd-issuer uvicorn examples.lms_award:app --port 8000

The LMS posts a course-completion webhook; the endpoint checks its HMAC signature, issues the
course's badge to the learner (signed, recorded in the ledger before the answer goes out),
and answers with the signed credential and where to fetch it baked into a PNG. The LMS's
completion id is the idempotency key: a webhook delivered twice returns the same badge.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Header, HTTPException, Request, Response
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool

from mcbadge.baking import bake
from mcbadge.errors import MCBadgeError
from mcbadge.issuing import Issuer

WORKSPACE = Path(os.environ.get("MCBADGE_ISSUER", "pd-issuer"))
SECRET = os.environ.get("LMS_WEBHOOK_SECRET", "change-me").encode()
SITE = "https://pd.district.example"
ART = Path(__file__).parent / "badges" / "badge-art.png"

# which badge each course awards
COURSES: dict[str, dict[str, Any]] = {
    "crt-101": {
        "id": f"{SITE}/achievements/crt-classroom-community",
        "name": "Culturally Responsive Teaching: Classroom Community",
        "description": "Builds a classroom community where every student belongs.",
        "criteria": {"narrative": "Complete CRT-101: lesson video, reflection and student "
                                  "work, scored Proficient or above on the course rubric."},
        "achievementType": "MicroCredential",
    },
}


class Completion(BaseModel):
    completion_id: str
    course_id: str
    learner_email: str
    learner_name: str
    evidence_url: str | None = None


def open_issuer() -> Issuer:
    if not (WORKSPACE / "issuer.json").exists():  # first start: a new issuer of record
        return Issuer.create(WORKSPACE, name="Example District PD", url=SITE)
    return Issuer.open(WORKSPACE)


app = FastAPI(title="Course completion -> Open Badge")
issuer = open_issuer()


@app.post("/webhooks/course-completed", status_code=201)
async def course_completed(
    request: Request, x_lms_signature: str = Header(..., description="hex HMAC-SHA256 of body")
) -> dict[str, Any]:
    body = await request.body()
    expected = hmac.new(SECRET, body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, x_lms_signature):
        raise HTTPException(401, "bad webhook signature")
    try:
        completion = Completion.model_validate_json(body)
    except ValidationError as exc:  # signed, but not a completion: the sender's mistake
        raise HTTPException(400, f"not a course completion: {exc.errors()[0]['msg']}") from None
    achievement = COURSES.get(completion.course_id)
    if achievement is None:
        raise HTTPException(404, f"course {completion.course_id} awards no badge")
    try:
        # signing takes milliseconds of CPU: off the event loop, in the thread pool; one
        # Issuer is shared by every request thread (its ledger serialises its connection)
        credential = await run_in_threadpool(
            issuer.issue, achievement, completion.learner_email, name=completion.learner_name,
            evidence=[completion.evidence_url] if completion.evidence_url else [],
            idempotency_key=f"lms:{completion.completion_id}",
        )
    except MCBadgeError as exc:
        raise HTTPException(422, exc.message) from None
    return {"credential": credential, "png": f"/badges/{credential['id']}.png"}


@app.get("/badges/{credential_id}.png")
def baked_png(credential_id: str) -> Response:
    record = issuer.record(credential_id)
    if record is None or record.document is None:
        raise HTTPException(404, "no such badge")
    return Response(bake(ART.read_bytes(), record.document), media_type="image/png")


@app.get("/badges/{credential_id}")
def credential_json(credential_id: str) -> Response:
    record = issuer.record(credential_id)
    if record is None or record.document is None:
        raise HTTPException(404, "no such badge")
    return Response(record.document, media_type="application/vc+ld+json")


if __name__ == "__main__":
    try:
        import uvicorn
    except ImportError:
        raise SystemExit("pip install uvicorn, then: uvicorn examples.lms_award:app") from None
    uvicorn.run(app, port=int(os.environ.get("PORT", "8000")))
