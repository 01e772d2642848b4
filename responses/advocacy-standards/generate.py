#!/usr/bin/env python3
"""Write the ILLUSTRATIVE sample consultation for the advocacy standards.

Nothing here is a real response. The script composes answers to a made-up
version of the Department for Education's 2023 consultation on revised
National Standards for children's and young people's advocacy services,
from hand-written phrasings of the points made in that debate.

Outputs (in ``--out``, default: this folder):

* ``responses.csv`` - wide layout, one row per respondent;
* ``gold-codes.csv`` - the true codes of every non-blank free-text answer
  (columns respondent_id, question, code);
* ``planted-personal-data.json`` - every planted item of personal data.

With ``--codebooks DIR`` it also writes one codebook YAML per question.

Standard library only; the same ``--seed`` always gives the same bytes.
"""

from __future__ import annotations

import argparse
import csv
import io
import itertools
import json
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_SEED = 2023
DEFAULT_RESPONDENTS = 1720

# --------------------------------------------------------------------------
# Questions and codes
# --------------------------------------------------------------------------


@dataclass
class Code:
    """One code of a question's codebook, with the phrasings used to write it."""

    id: str
    stance: str  # "+" goes with Agree, "-" with Disagree, "~" with either
    label: str
    description: str
    near: str  # a sibling code whose example makes a good counter-example
    gen: list[str]  # adult, plain voice
    yp: list[str]  # young person's voice
    pro: list[str]  # professional / organisation voice
    more: list[str] = field(default_factory=list)  # optional follow-on sentences


@dataclass
class Question:
    id: str
    kind: str  # hybrid | open | closed
    text: str
    title: str
    closed_column: str | None
    text_column: str | None
    options: list[str]
    codes: list[Code]


def C(id, stance, label, description, near, gen, yp, pro, more=()):
    return Code(id, stance, label, description, near, list(gen), list(yp), list(pro), list(more))


AGREE = ["Agree", "Disagree", "Not sure"]

Q1 = [
    C("children-dont-know-to-ask", "+", "Children do not know to ask",
      "The answer says children cannot ask for an advocate they have never heard of, so the offer has to come to them.",
      "how-offer-is-made",
      ["Most children have no idea advocacy exists, so they can't ask for it.",
       "You can't ask for something you have never heard of.",
       "Children in care are already overwhelmed and won't know that an advocate is something they're entitled to.",
       "Waiting for a child to request an advocate means the children who most need one never get one."],
      ["i didnt even know what an advocate was until i was 15",
       "No one tells you about it so how are you meant to ask",
       "I only found out about advocates from another kid in my placement."],
      ["In our experience the great majority of children referred for advocacy did not know the service existed before the referral was made on their behalf.",
       "An opt-in model relies on children knowing their rights and having the confidence to use them, which is precisely what many children in care lack."],
      ["By the time they find out, the decision has usually already been made.",
       "It's the quieter children who lose out under the current system.",
       "Confident children with pushy adults around them get advocates; others don't."]),
    C("normalises-advocacy", "+", "Makes advocacy normal, not a stigma",
      "The answer says an automatic offer makes advocacy routine and removes the stigma or awkwardness of asking for it.",
      "child-choice-respected",
      ["If every child gets an advocate automatically it stops being seen as something for 'problem' kids.",
       "Making it the default takes away the stigma of asking for help.",
       "Opt-out makes advocacy a normal part of being in care, like having a social worker or an IRO."],
      ["if everyone has one then nobody thinks your kicking off by asking for one",
       "It wouldnt feel weird to have an advocate if everyone got one."],
      ["An opt-out model normalises advocacy and removes the implication that requesting an advocate is a sign of conflict with professionals.",
       "Where an active offer has been piloted, take-up has risen markedly and children describe advocacy as simply part of being looked after."],
      ["Some children worry that asking for an advocate will upset their social worker.",
       "Nobody should have to justify wanting someone on their side."]),
    C("earlier-help", "+", "Earlier help, before crisis",
      "The answer says an automatic offer gets advocates involved early, before problems escalate.",
      "children-dont-know-to-ask",
      ["An automatic offer means children get support before things reach crisis point.",
       "Advocates could be involved from the start instead of being brought in when a placement is already breaking down.",
       "Early advocacy could prevent a lot of complaints and placement moves."],
      ["I needed someone at the start not after everything went wrong",
       "get kids an advocate before stuff blows up"],
      ["Offering advocacy at the point of entry to care or at the first child protection conference allows issues to be resolved early and at lower cost.",
       "Early involvement of an advocate reduces escalation to formal complaints and improves the quality of care planning."],
      ["Prevention is always better than picking up the pieces.",
       "Too often advocacy is a last resort rather than a first offer."]),
    C("child-choice-respected", "-", "Children's choice to decline",
      "The answer worries that opt-out pushes advocacy on children, or says children must be free to say no without pressure.",
      "normalises-advocacy",
      ["Children should be able to say no and not be pushed into having an advocate.",
       "Opt-out can feel like something is being done to the child rather than with them.",
       "Some young people are sick of professionals and don't want another adult in their life."],
      ["i dont want another adult asking me questions",
       "It should be my choice, I already have enough people in meetings about me."],
      ["We are concerned that an opt-out model could undermine the voluntary nature of advocacy, which is central to its value for children.",
       "Children must be able to decline without pressure, and the standards should make clear that declining is respected and recorded."],
      ["Having too many adults involved can be overwhelming.",
       "Choice is the whole point of advocacy."]),
    C("capacity-and-funding", "-", "Not enough advocates or funding",
      "The answer doubts there are enough advocates or money to offer one to every eligible child.",
      "risk-of-tokenism",
      ["There aren't enough advocates now, so offering one to every child just isn't realistic.",
       "Opt-out sounds good but without more funding waiting lists will get even longer.",
       "It's a lovely idea but who is going to pay for it?"],
      ["theres already a waiting list for advocates where i live",
       "My advocate had like 40 other kids so she was never free."],
      ["An opt-out model would substantially increase demand; without additional funding local authorities could not commission sufficient capacity to meet it.",
       "We support the principle but cannot endorse a requirement that is not accompanied by a realistic assessment of cost and workforce."],
      ["Promising something you can't deliver is worse than not promising it.",
       "Budgets are already at breaking point."]),
    C("how-offer-is-made", "~", "How and when the offer is made",
      "The answer says what matters is how the offer is made: in person, explained properly, by the right person, and repeated.",
      "age-and-understanding",
      ["It depends on how the offer is made and who explains it to the child.",
       "The offer needs to be repeated, not made once and forgotten.",
       "Children should hear about advocacy from the advocate themselves, not just a leaflet in a pack."],
      ["someone should actually explain it properly not just hand you a leaflet",
       "They asked me once when I was upset and I said no, nobody asked again."],
      ["The effectiveness of an active offer depends on its quality: it should be made in person, by an advocate, and repeated at key decision points.",
       "A tick-box offer made by a social worker in a busy review is not an active offer in any meaningful sense."],
      ["A leaflet in a welcome pack is not the same as a conversation.",
       "Timing matters: nobody takes things in on their first night in a new placement."]),
    C("risk-of-tokenism", "-", "Risk of a tick-box exercise",
      "The answer worries that an automatic offer becomes a box to tick rather than real support.",
      "how-offer-is-made",
      ["I worry it will just become a box to tick rather than real support.",
       "Automatic referrals could mean lots of children get a name on a list but no real advocate."],
      ["they'll just say you were offered it and tick a box",
       "feels like one more form"],
      ["There is a risk that an opt-out model is implemented as an administrative process, with performance measured by offers made rather than children actually supported."],
      ["Numbers on a form don't mean children are being listened to."]),
    C("age-and-understanding", "~", "Adapting the offer to age and understanding",
      "The answer says the offer must be adapted for young children or children who need more help to understand it.",
      "how-offer-is-made",
      ["Younger children will need the offer explained in a way they can understand, maybe with pictures.",
       "The age of the child matters - a five year old and a fifteen year old need a very different conversation."],
      ["little kids wont get what an advocate is unless you explain it properly"],
      ["The standards should set out how an active offer is adapted for very young children and those with communication needs."],
      ["Nobody should be left out just because they are young."]),
]

Q2 = [
    C("conflict-of-interest", "+", "Conflict of interest",
      "The answer says an advocate cannot properly challenge the local authority that employs, manages or pays them.",
      "protect-from-contract-pressure",
      ["An advocate can't properly challenge the council if the council is paying their wages.",
       "There is an obvious conflict of interest when the body being challenged also manages the advocate.",
       "Advocates employed by the local authority will always be worried about upsetting their managers."],
      ["how are they meant to fight the council if the council is their boss",
       "my advocate was from the council so what was the point"],
      ["Where advocacy is delivered in-house, advocates are placed in the untenable position of challenging decisions made by colleagues and line managers.",
       "Structural independence is the single most important safeguard of effective advocacy."],
      ["Independence has to be real, not just a word in a contract.",
       "Even the perception of a conflict of interest undermines the service."]),
    C("trust-of-children", "+", "Children's trust in the advocate",
      "The answer says children will only trust and confide in an advocate they see as separate from social services.",
      "conflict-of-interest",
      ["Children won't trust an advocate who they see as part of social services.",
       "Young people need to know the advocate is on their side and not reporting back to the council."],
      ["if they work for social services i'm not telling them anything",
       "You need to know they arent going to go straight back to your social worker."],
      ["Children repeatedly tell us that they judge an advocate's independence by who employs them, not by what the service leaflet says."],
      ["Once trust is lost it's very hard to win back."]),
    C("external-commissioning", "+", "Commission advocacy from outside the council",
      "The answer proposes that advocacy is commissioned nationally, regionally or by a body independent of children's services.",
      "cost-and-practicality",
      ["Advocacy should be commissioned nationally or regionally, not by each council.",
       "An independent body should commission advocacy so councils aren't paying for people to challenge them."],
      ["the government should pay for it not the council"],
      ["We recommend that commissioning is moved to a regional or national level, or to a body independent of children's services, such as a joint arrangement overseen by the Children's Commissioner.",
       "At a minimum, contract management should sit outside the children's services directorate."],
      ["Regional commissioning would also help smaller authorities get value for money."]),
    C("in-house-can-work", "-", "In-house services can be independent",
      "The answer says advocates employed by a council can still act independently, so separation is not needed.",
      "define-independence",
      ["Our in-house advocacy service is good and works independently in practice.",
       "Being employed by the council doesn't automatically make an advocate less independent."],
      ["my advocate worked for the council and she was still really good"],
      ["Well-run in-house services with clear protocols and separate line management can deliver advocacy that children experience as fully independent.",
       "We do not accept that external commissioning is the only route to independence; governance and culture matter more than the employer's name."],
      ["Forcing councils to outsource could break up services that work well."]),
    C("cost-and-practicality", "-", "Cost and practicality of separation",
      "The answer says separating advocacy from the council would be costly or impractical, especially for small or rural areas.",
      "external-commissioning",
      ["Separating advocacy from the local authority will cost money that councils don't have.",
       "Small councils will struggle to find an independent provider in their area."],
      ["sounds expensive"],
      ["Mandatory external commissioning would impose procurement costs and may reduce provision in areas with few providers."],
      ["Rural areas in particular have very few providers to choose from."]),
    C("protect-from-contract-pressure", "+", "Protect providers from contract pressure",
      "The answer says contracts and funding must not be used to silence advocates, e.g. ring-fenced funding and longer contracts.",
      "conflict-of-interest",
      ["Contracts shouldn't be able to stop advocates from speaking out.",
       "Advocacy providers are scared of losing their contract if they challenge the council too much."],
      ["advocates shouldnt lose their job for arguing with the council"],
      ["Contracts should include explicit protections so that providers are not penalised, formally or informally, for raising challenges on behalf of children.",
       "Advocacy funding should be ring-fenced and contracts should run for at least three years to reduce the pressure to keep commissioners happy."],
      ["Short contracts make providers cautious."]),
    C("define-independence", "~", "Define what independence means",
      "The answer asks the standard to define independence more clearly (employment, management, funding, premises, records).",
      "in-house-can-work",
      ["The standard needs to say more clearly what independence actually means.",
       "I'm not sure what 'independent' means in practice here - independent of what exactly?"],
      ["what does independent even mean"],
      ["The draft standard does not define independence; we suggest it covers employment, line management, funding, premises and access to records."],
      ["Without a definition everyone will claim to be independent."]),
]

Q3 = [
    C("disabled-children-excluded", "+", "Disabled children are left out",
      "The answer says disabled children and those with complex needs are currently missed by advocacy and must be included.",
      "communication-not-capacity",
      ["Disabled children are too often left out of advocacy altogether.",
       "Children who can't speak for themselves are the ones who most need someone speaking up for them.",
       "My son is non-verbal and has never been offered an advocate."],
      ["my brother has autism and nobody ever asks what he wants",
       "disabled kids get ignored the most"],
      ["Disabled children and children with complex needs are significantly under-represented among those receiving advocacy, despite being at greater risk of abuse and of decisions being made without them."],
      ["Every child has a right to be heard, not only the ones who can fill in a form.",
       "Decisions about where these children live are life-changing."]),
    C("specialist-skills", "+", "Needs specialist communication skills",
      "The answer says non-instructed advocates need specialist skills and training, e.g. Makaton, BSL or communication aids.",
      "clear-method",
      ["Non-instructed advocates need proper training in things like Makaton, BSL and communication aids.",
       "It needs advocates with specialist skills, not just anyone."],
      ["they need to learn sign language and stuff"],
      ["Non-instructed advocacy is a specialist skill requiring training in observation, alternative and augmentative communication and the rights-based approaches used in adult services."],
      ["It takes real skill to understand a child who communicates through behaviour."]),
    C("communication-not-capacity", "+", "Every child communicates",
      "The answer says every child can communicate wishes and feelings in some way, so professionals must take time to find out how.",
      "specialist-skills",
      ["Every child communicates something, you just have to take the time to get to know them.",
       "Not being able to talk doesn't mean you have nothing to say."],
      ["just because someone cant talk doesnt mean they dont have feelings about stuff"],
      ["The standards should start from the presumption that every child can communicate their wishes and feelings in some way, and place the onus on professionals to find out how."],
      ["Advocates should spend time with the child in different settings, not just one visit."]),
    C("parent-role", "-", "Role of parents and families",
      "The answer says parents already speak for their disabled child, or worries an advocate could override the family.",
      "disabled-children-excluded",
      ["Parents already advocate for their disabled children and know them best.",
       "I'd worry about an advocate who barely knows my child overriding what the family says."],
      ["my mum knows what my sister wants better than anyone"],
      ["The standards must be clear about how non-instructed advocates work alongside parents, who are often the most expert interpreters of their child's communication."],
      ["Families should not be made to feel they are the problem."]),
    C("clear-method", "~", "Needs a clear method",
      "The answer asks how a non-instructed advocate decides what a child wants and wants a clear, recognised approach.",
      "specialist-skills",
      ["It's not clear how a non-instructed advocate decides what a child wants - there needs to be a proper method.",
       "There should be guidance on how non-instructed advocacy actually works."],
      ["how would they even know what the kid wants"],
      ["We would welcome clear reference to recognised approaches such as the Watching Brief, the human rights approach and person-centred observation, so that practice is consistent."],
      ["Otherwise it's just one adult's opinion against another's."]),
    C("very-young-children", "+", "Include babies and very young children",
      "The answer says non-instructed advocacy should also cover pre-verbal and very young children, e.g. in care proceedings.",
      "disabled-children-excluded",
      ["Babies and toddlers in care proceedings also need someone looking out for their rights.",
       "It should include very young children who can't speak yet, not only disabled children."],
      ["little kids need one too"],
      ["Non-instructed advocacy should extend to pre-verbal children, including infants subject to care proceedings and those placed for adoption."],
      ["The youngest children have decisions made about them that shape their whole lives."]),
    C("resource-intensive", "-", "Resource-intensive",
      "The answer says non-instructed advocacy takes more time and money, and doubts the resources will be there.",
      "specialist-skills",
      ["This kind of advocacy takes much longer and will need extra money.",
       "I agree in theory but I don't see where the specialist advocates will come from."],
      ["will they actually have time to do it properly"],
      ["Non-instructed advocacy is resource-intensive and typically requires several visits per issue; the standards should be accompanied by funding that reflects this."],
      ["Otherwise it will be rushed and done badly."]),
]

Q4 = [
    C("raises-quality", "+", "Raises and evens out quality",
      "The answer says a minimum qualification would make advocates competent and consistent, like other professionals.",
      "safeguarding-training",
      ["A minimum qualification would make sure advocates actually know what they're doing.",
       "Children deserve advocates who are properly trained, just like any other professional.",
       "At the moment the quality of advocates varies massively."],
      ["some advocates i had didnt have a clue",
       "yes they should be trained properly"],
      ["A mandatory minimum qualification would raise and standardise the quality of advocacy across England and give the profession greater recognition."],
      ["It would also help advocates be taken seriously by other professionals.",
       "Social workers and IROs have to be qualified, so why not advocates?"]),
    C("lived-experience-valued", "-", "Lived experience matters more than certificates",
      "The answer values care experience and rapport over formal qualifications and fears qualifications would exclude such advocates.",
      "barrier-to-recruitment",
      ["Some of the best advocates have lived experience of care rather than certificates.",
       "Qualifications aren't everything - being able to relate to young people matters more."],
      ["the best advocate i had was care experienced herself, she just got it",
       "i dont care about their qualifications i care if they listen"],
      ["We are concerned that a rigid qualification requirement could exclude care-experienced advocates, who bring insight that cannot be taught."],
      ["Young people can tell straight away who actually understands."]),
    C("barrier-to-recruitment", "-", "Barrier to recruitment",
      "The answer says a qualification requirement would make it harder to recruit advocates when there are already too few.",
      "lived-experience-valued",
      ["Requiring a qualification up front will make it even harder to recruit advocates.",
       "There are already too few advocates and this would put more people off."],
      ["there's hardly any advocates as it is"],
      ["Given existing recruitment difficulties, a qualification requirement at the point of entry would reduce supply further; we suggest a requirement to achieve the qualification within a set period of starting."],
      ["Pay for advocates is low, so people won't pay for a qualification themselves."]),
    C("funded-training", "~", "Training must be funded",
      "The answer says the qualification and training should be paid for by employers or government, not by advocates.",
      "barrier-to-recruitment",
      ["If training is required it should be paid for by the employer or the government, not the advocate.",
       "The training should be free and done in work time."],
      ["they shouldnt have to pay for it themselves"],
      ["The Department should fund the qualification, at least during a transitional period, so that the cost does not fall on providers or individual advocates."],
      ["Otherwise only people who can afford it will become advocates."]),
    C("safeguarding-training", "+", "Safeguarding and trauma training",
      "The answer wants training to cover safeguarding, exploitation and trauma-informed practice.",
      "supervision-and-cpd",
      ["All advocates should have safeguarding training and understand trauma.",
       "Training should cover safeguarding, exploitation and how trauma affects children."],
      ["they need to know about trauma and not make you repeat everything"],
      ["Core training should include safeguarding, trauma-informed practice, child criminal and sexual exploitation, and the legal frameworks governing care and child protection."],
      ["Getting it wrong can really harm a child."]),
    C("supervision-and-cpd", "+", "Ongoing supervision and development",
      "The answer says training must continue after qualifying, with regular supervision and refresher training.",
      "safeguarding-training",
      ["Training shouldn't be a one-off - advocates need regular refreshers and supervision.",
       "Advocates need proper supervision, the work can be really difficult."],
      ["they should keep learning"],
      ["The standards should require regular reflective supervision and a minimum annual amount of continuing professional development."],
      ["The law and guidance change all the time."]),
    C("specialist-modules", "+", "Specialist training for particular settings",
      "The answer wants extra training for work with disabled children, mental health, youth justice or secure settings.",
      "raises-quality",
      ["There should be extra training for advocates working with disabled children, in mental health units or in youth justice.",
       "Advocates working in secure settings need specialist knowledge."],
      ["advocates in hospitals need to know about mental health"],
      ["In addition to a core qualification, we recommend specialist modules for SEND, mental health, youth justice and non-instructed advocacy."],
      ["One size doesn't fit all."]),
]

Q5 = [
    C("child-protection", "+", "Child protection",
      "The answer wants advocacy for children in child protection processes, such as conferences and plans.",
      "consistency-for-children",
      ["Children on child protection plans need advocates at conferences, not just children in care.",
       "Child protection conferences are terrifying for children and they need someone on their side."],
      ["i had to sit in a child protection meeting with like 12 adults and nobody was there for me"],
      ["Children subject to child protection enquiries and plans should have a clear entitlement to advocacy, including at initial and review conferences."],
      ["Decisions made at those meetings can change a child's whole life."]),
    C("send-and-education", "+", "SEND and school exclusion",
      "The answer wants advocacy for children in SEND processes (EHCPs, tribunals) or facing school exclusion.",
      "child-protection",
      ["Children going through EHCP assessments and exclusions need advocacy too.",
       "School exclusion is one of the biggest things that can happen to a child and they usually have no voice in it."],
      ["when i got excluded nobody asked my side",
       "my EHCP meeting was all about me but i wasnt really in it"],
      ["Advocacy should be available to children in SEND processes, including EHC needs assessments, annual reviews and tribunals, and to children facing permanent exclusion."],
      ["Parents often end up speaking for children in these processes, which is not the same thing."]),
    C("youth-justice-and-secure", "+", "Youth justice and secure settings",
      "The answer wants advocacy for children in youth custody, secure children's homes or the youth justice system.",
      "mental-health-settings",
      ["Children in youth custody and secure children's homes are some of the most vulnerable and should definitely be included.",
       "Young people in the youth justice system need advocates who understand it."],
      ["when you're locked up you need someone who isnt staff to talk to"],
      ["Children in secure settings, whether on welfare or justice grounds, face significant restrictions on their liberty; access to independent advocacy is an essential safeguard."],
      ["Restraint and isolation in these settings make it even more important."]),
    C("mental-health-settings", "+", "Mental health settings",
      "The answer wants advocacy for children in mental health inpatient units and similar health settings.",
      "youth-justice-and-secure",
      ["Children in mental health hospitals should have an advocate who isn't part of the ward staff.",
       "Mental health inpatient units should be covered, children can be there for months."],
      ["when i was in hospital i didnt know what my rights were"],
      ["The relationship between children's advocacy and Independent Mental Health Advocacy should be clarified so that children in Tier 4 settings do not fall between services."],
      ["Many of these children are placed far from home."]),
    C("capacity-concerns", "-", "Spreads the service too thin",
      "The answer worries that widening the scope without more advocates will dilute the service for children in care.",
      "one-size-concern",
      ["Widening the scope without more advocates will just spread the service too thin.",
       "I'd rather get advocacy right for children in care first before expanding it."],
      ["theres not enough advocates already"],
      ["Extending the standards to these settings without additional resource would dilute the service available to children in care."],
      ["Quality will suffer if the same people cover everything."]),
    C("one-size-concern", "~", "Different settings need different approaches",
      "The answer says settings differ so much that one set of standards needs setting-specific guidance.",
      "consistency-for-children",
      ["Different settings need different approaches, one set of standards might not fit all of them.",
       "A youth custody setting is nothing like a school exclusion meeting."],
      ["its different in hospital than in care"],
      ["We support wider coverage but the standards will need setting-specific guidance, as the legal frameworks for SEND, youth justice and mental health differ considerably."],
      ["The standards should say what is common and what varies."]),
    C("consistency-for-children", "+", "Same standard wherever the child is",
      "The answer says children should get the same standard of advocacy whichever service or setting they are in.",
      "one-size-concern",
      ["Children should get the same standard of advocacy wherever they are.",
       "It's confusing for children when their rights depend on which service they happen to be in."],
      ["it shouldnt matter where you are you should still get one"],
      ["A single set of standards across settings would give children a consistent experience as they move between care, health, education and justice systems."],
      ["Lots of children move between these systems."]),
]

Q6 = [
    C("not-told-of-right", "+", "Children are not told of their right",
      "The answer says many children are never told, or told too late, that they can have an advocate.",
      "who-tells-children",
      ["Lots of children are never told they can have an advocate.",
       "My foster child was in care for three years before anyone mentioned advocacy."],
      ["no one ever told me i could have an advocate",
       "i found out about advocates when i was 17, too late"],
      ["Our research with care-experienced young people found that a large proportion could not recall ever being told about their right to an advocate."],
      ["A right you don't know about is not really a right."]),
    C("child-friendly-summary", "+", "Child-friendly summary",
      "The answer wants a short, simple, child-friendly version of the standards or of children's rights.",
      "accessible-formats",
      ["There should be a child-friendly version of the standards so children know what to expect.",
       "Children should get a short, simple summary of their rights, not a long document."],
      ["make a short version kids can actually read",
       "a video would be better than a leaflet"],
      ["We strongly support a child-friendly summary, co-produced with children and young people and tested with different age groups."],
      ["Most children won't read pages of text."]),
    C("interpreting-and-languages", "+", "Interpreters and other languages",
      "The answer wants professional interpreters and information in languages other than English.",
      "accessible-formats",
      ["Children who don't speak English need a proper interpreter, not a family member.",
       "Information should be available in other languages."],
      ["my friend didnt speak english when she came here and she had no idea what was happening"],
      ["Professional interpreters should be provided free of charge, and children should not be asked to rely on relatives or carers to interpret."],
      ["Unaccompanied asylum-seeking children are often the least informed about their rights."]),
    C("accessible-formats", "+", "Accessible formats",
      "The answer wants information in accessible formats such as easy read, BSL, symbols, audio or Braille.",
      "child-friendly-summary",
      ["Information should be in easy read, BSL and other accessible formats.",
       "Think about children with learning disabilities, dyslexia or sight loss."],
      ["make it easy read please"],
      ["Accessible formats, including easy read, BSL video, symbols, audio and Braille, should be available as standard rather than on request."],
      ["Accessibility should be planned in, not added later."]),
    C("repeated-reminders", "+", "Tell children more than once",
      "The answer says children should be reminded of their right at key points such as reviews and placement moves.",
      "who-tells-children",
      ["Children should be reminded of their right at every review and every placement move.",
       "Telling a child once isn't enough."],
      ["remind us at every review"],
      ["Information about advocacy should be given at every key point: entry to care, each review, each placement move, and whenever a complaint is raised."],
      ["Children's circumstances and needs change."]),
    C("who-tells-children", "~", "Who is responsible for telling children",
      "The answer says responsibility for informing children must be clear, e.g. IROs checking, not just busy social workers.",
      "repeated-reminders",
      ["It shouldn't only be the social worker's job to tell children, they are too busy and it gets forgotten.",
       "IROs should check at every review that the child knows about advocacy."],
      ["my social worker changed like 6 times so nobody told me"],
      ["Responsibility for informing children should be clearly allocated, with IROs checking and recording that it has happened."],
      ["If everybody is responsible, nobody is."]),
    C("already-happens", "-", "This already happens",
      "The answer says children are already told about advocacy, so a new standard is unnecessary or duplicates guidance.",
      "not-told-of-right",
      ["This already happens in most places, I'm not sure a new standard is needed.",
       "We already give every child information about advocacy when they come into care."],
      ["they told me already"],
      ["Existing statutory guidance already requires children to be informed of advocacy; a separate standard risks duplication."],
      ["Another rule won't change practice on its own."]),
]

Q7 = [
    C("complaints-too-hard", "+", "Complaints process too hard for children",
      "The answer says complaints procedures are too complicated for children to use without help.",
      "timescales-and-feedback",
      ["The complaints process is far too complicated for children to use on their own.",
       "Children need help to make a complaint, the forms and letters are written for adults."],
      ["i tried to complain once and got a letter i couldnt understand"],
      ["Local authority complaints procedures are rarely designed with children in mind, and without an advocate few children progress beyond the first stage."],
      ["Most children just give up."]),
    C("commissioner-escalation-welcome", "+", "Welcomes escalation to the Children's Commissioner",
      "The answer welcomes being able to escalate unresolved concerns to the Children's Commissioner.",
      "commissioner-capacity",
      ["Being able to go to the Children's Commissioner would give the complaints process some teeth.",
       "It's good that there would be somewhere to go when the council doesn't listen."],
      ["good that you can go higher than the council"],
      ["We welcome a clear route of escalation to the Children's Commissioner where local resolution has failed, provided the route is properly defined and resourced."],
      ["At the moment the council is marking its own homework."]),
    C("commissioner-capacity", "-", "Doubts about the Commissioner's capacity",
      "The answer doubts the Children's Commissioner's office has the capacity or powers to handle individual cases.",
      "commissioner-escalation-welcome",
      ["I'm not sure the Children's Commissioner has the staff to deal with all these cases.",
       "The Commissioner's office is too small and far away to deal with individual cases."],
      ["would they even reply"],
      ["The Children's Commissioner's office does not currently have the capacity or the statutory powers to investigate individual cases at scale."],
      ["It could raise expectations that can't be met."]),
    C("fear-of-repercussions", "+", "Children fear repercussions",
      "The answer says children are afraid to complain, e.g. of being moved or getting carers in trouble.",
      "complaints-too-hard",
      ["Children are scared that complaining will get them moved or get their carers in trouble.",
       "A lot of children don't complain because they worry about what will happen afterwards."],
      ["if you complain they just move you",
       "i was scared to complain about my placement because i thought id get in trouble"],
      ["Fear of repercussions, including placement moves, is one of the main reasons children do not complain; advocates play a vital role in providing reassurance."],
      ["Children need to know they won't be punished for speaking up."]),
    C("timescales-and-feedback", "~", "Time limits and feedback",
      "The answer wants complaints handled within clear time limits and children told the outcome.",
      "complaints-too-hard",
      ["Complaints take far too long - there should be clear time limits.",
       "Children should be told what happened with their complaint."],
      ["it took months and then nothing happened"],
      ["The standards should set maximum timescales for responding to children's complaints and require feedback in a form the child understands."],
      ["For a child, three months is a very long time."]),
    C("local-resolution-first", "-", "Resolve locally first",
      "The answer says most concerns should be resolved locally and escalation should be a last resort.",
      "commissioner-capacity",
      ["Most problems can be sorted out locally and should be before going to the Commissioner.",
       "Escalating to the Commissioner should be a last resort."],
      ["try sort it first"],
      ["We would not want escalation to bypass local resolution, which resolves most concerns quickly and closest to the child."],
      ["Going straight to the top can make things more adversarial."]),
    C("advocate-protection", "+", "Advocates able to escalate without fear",
      "The answer says advocates must be able to escalate concerns themselves and be protected when they do.",
      "fear-of-repercussions",
      ["Advocates need protection when they raise concerns, otherwise they'll keep quiet.",
       "Advocates should be able to escalate things themselves without asking permission from the council."],
      ["advocates shouldnt get in trouble for sticking up for us"],
      ["Advocates should be able to escalate concerns directly, including to the Commissioner and to Ofsted, without requiring the agreement of the commissioning authority."],
      ["Whistleblowing protections should apply."]),
]

Q8 = [
    C("publish-data", "+", "Publish data on advocacy",
      "The answer supports collecting and publishing data on offers, take-up, waiting times or outcomes, to compare areas.",
      "measure-outcomes",
      ["Councils should publish how many children are offered an advocate and how many actually get one.",
       "Publishing the data would show which areas are doing well and which aren't."],
      ["yes so we can see if they actually do it"],
      ["Consistent national data on offers, take-up, waiting times and outcomes would allow meaningful comparison between areas for the first time."],
      ["What gets measured gets done."]),
    C("sufficiency-and-waiting-lists", "+", "Enough advocates, no waiting lists",
      "The answer says there must be enough advocates so children are not left waiting, e.g. a sufficiency duty.",
      "funding-needed",
      ["There need to be enough advocates so children aren't stuck on waiting lists.",
       "Children can't wait weeks for an advocate when a decision is being made next week."],
      ["i waited ages for an advocate and the meeting already happened"],
      ["A sufficiency duty for advocacy, analogous to the placement sufficiency duty, would require authorities to plan for demand rather than ration a fixed resource."],
      ["An advocate who arrives after the decision is no use to anyone."]),
    C("funding-needed", "~", "Needs new funding",
      "The answer says the duties need proper, new funding from central government.",
      "sufficiency-and-waiting-lists",
      ["All of this needs proper funding from central government.",
       "Councils can't do more with the same money."],
      ["give them more money"],
      ["These are new burdens and should be fully funded under the new burdens doctrine."],
      ["Without funding the standards will stay on paper."]),
    C("data-burden", "-", "Data collection is a burden",
      "The answer objects that more data collection adds paperwork and takes time away from children.",
      "measure-outcomes",
      ["More data collection means more paperwork and less time with children.",
       "Social workers already spend most of their time on forms."],
      ["more forms isnt going to help anyone"],
      ["We are concerned about adding to the data burden on local authorities without clear evidence of how the data will be used."],
      ["The data returns are already enormous."]),
    C("measure-outcomes", "~", "Measure outcomes, not just numbers",
      "The answer says monitoring should ask whether advocacy helped children, not only count activity.",
      "publish-data",
      ["Counting how many children get an advocate doesn't tell you if it helped.",
       "You should ask children whether advocacy made a difference, not just count them."],
      ["ask us if it helped"],
      ["Monitoring should focus on outcomes and children's own feedback rather than activity counts alone."],
      ["Numbers alone can be misleading."]),
    C("equality-monitoring", "+", "Monitor who misses out",
      "The answer wants data broken down by ethnicity, disability, age or other characteristics to see who misses out.",
      "publish-data",
      ["The data should be broken down by ethnicity, disability and age so we can see who is missing out.",
       "We need to know whether disabled and Black children are getting advocates at the same rate."],
      ["check who isnt getting one"],
      ["Data should be disaggregated by protected characteristics, legal status and placement type to identify groups under-served by advocacy."],
      ["Averages hide a lot of inequality."]),
    C("privacy-of-data", "~", "Protect children's data",
      "The answer says children's personal data must be protected and published figures must not identify children.",
      "data-burden",
      ["Children's personal information needs to be protected if data is collected.",
       "Be careful with data in small areas where children could be identified."],
      ["dont share our personal stuff"],
      ["Published data must be aggregated and suppressed where numbers are small, so that individual children cannot be identified."],
      ["Trust depends on children knowing their information is safe."]),
]

Q10 = [
    C("children-design-standards", "~", "Involve children in designing services",
      "The answer wants children and young people involved in writing the standards or designing, recruiting and evaluating services.",
      "inspection-ofsted",
      ["Children and young people should help write and review the standards.",
       "Ask young people who've used advocacy what good looks like."],
      ["ask us, we know what works",
       "young people should be on the interview panels for advocates"],
      ["The standards should require providers to involve children in the design, recruitment and evaluation of advocacy services."],
      ["Nothing about us without us."]),
    C("advocacy-after-18", "~", "Advocacy for care leavers after 18",
      "The answer wants advocacy to continue for care leavers beyond 18, up to 25.",
      "continuity-of-advocate",
      ["Care leavers should be able to have an advocate up to 25.",
       "Advocacy shouldn't stop at 18 - care leavers still need support."],
      ["it all just stops when you turn 18"],
      ["The standards should extend explicitly to care leavers up to the age of 25, in line with the extended personal adviser duty."],
      ["Leaving care is one of the hardest times."]),
    C("continuity-of-advocate", "~", "Keep the same advocate",
      "The answer wants children to keep the same advocate rather than retell their story to someone new.",
      "advocacy-after-18",
      ["Children should be able to keep the same advocate instead of getting someone new each time.",
       "Continuity matters - children shouldn't have to tell their story again and again."],
      ["i had a different advocate every time"],
      ["The standards should promote continuity so that, wherever possible, a child works with the same advocate across issues and over time."],
      ["Trust takes time to build."]),
    C("inspection-ofsted", "~", "Inspection against the standards",
      "The answer wants Ofsted or another body to inspect services against the standards.",
      "statutory-footing",
      ["Ofsted should inspect advocacy services against these standards.",
       "There should be proper inspection so we know the standards are being met."],
      ["someone should check they follow it"],
      ["Compliance with the standards should form part of the ILACS inspection framework, with findings reported publicly."],
      ["Standards that are never checked are just words."]),
    C("family-and-siblings", "~", "Family and siblings",
      "The answer raises family matters: contact with separated siblings or advocacy for parents.",
      "out-of-area",
      ["Think about siblings who are separated and want to stay in touch.",
       "Parents also need advocates in child protection, not just children."],
      ["help kids see their brothers and sisters"],
      ["The standards should recognise contact with siblings as an area where children frequently seek advocacy."],
      ["Family time is one of the things children care about most."]),
    C("digital-access", "~", "Digital contact",
      "The answer wants children to be able to reach advocates by text, messaging apps or online.",
      "continuity-of-advocate",
      ["Children should be able to contact an advocate by text, WhatsApp or online chat.",
       "Offer advocacy online as well as face to face."],
      ["let us text them",
       "an app would be good"],
      ["Digital contact routes should be offered alongside face-to-face advocacy, with appropriate safeguarding and data protection."],
      ["That is how young people communicate now."]),
    C("statutory-footing", "~", "Make the standards statutory",
      "The answer wants the standards to be law or statutory guidance that councils must follow.",
      "inspection-ofsted",
      ["The standards should be statutory so councils actually have to follow them.",
       "Make them law, not guidance."],
      ["make it a law"],
      ["We urge the Department to place the standards on a statutory footing, with a clear duty on local authorities to comply."],
      ["Guidance is too easily ignored when budgets are tight."]),
    C("unaccompanied-children", "~", "Unaccompanied and separated children",
      "The answer wants the standards to address unaccompanied asylum-seeking and separated migrant children.",
      "out-of-area",
      ["Unaccompanied asylum-seeking children need advocates who understand immigration and age assessment.",
       "Separated migrant children should be specifically mentioned."],
      ["refugee kids need help too"],
      ["The standards should address the specific needs of unaccompanied and separated children, including during age assessments."],
      ["They often have no adult at all on their side."]),
    C("out-of-area", "~", "Children placed out of area",
      "The answer says children placed far from home struggle to get advocacy and responsibility must be clear.",
      "unaccompanied-children",
      ["Children placed out of area often can't get an advocate from their home council.",
       "It should be clear who provides advocacy when a child lives far from home."],
      ["i was placed 200 miles away and my advocate never came"],
      ["Responsibility for advocacy for children placed out of area should be clarified, so that distance does not become a barrier."],
      ["These children are often the most isolated."]),
]

Q11 = [
    C("welcome-revision", "~", "Welcomes the revised standards",
      "The answer welcomes the revision of the standards overall or says it is overdue.",
      "implementation-and-timescale",
      ["I'm glad the standards are being updated, they are long overdue.",
       "Overall these are a big improvement on the old standards."],
      ["its good youre doing this",
       "glad someone is looking at this"],
      ["We warmly welcome the revision of the National Standards, which have not been updated for two decades."],
      ["Much has changed in children's services since then."]),
    C("active-offer", "~", "Active (opt-out) offer",
      "The answer returns to the active, opt-out offer of advocacy.",
      "rights-and-information",
      ["Please keep the opt-out offer, it's the most important part.",
       "The active offer will make the biggest difference to children."],
      ["everyone should just get an advocate"],
      ["We reiterate our strong support for an active, opt-out offer of advocacy."],
      ["Children should not have to ask."]),
    C("independence", "~", "Independence of advocates",
      "The answer returns to the independence of advocates from the local authority.",
      "data-and-accountability",
      ["Independence from the council is the key issue for me.",
       "Advocates will never be trusted while the council pays them."],
      ["advocates shouldnt work for the council"],
      ["Independence must be the foundation on which every other standard rests."],
      ["Children can tell who is really on their side."]),
    C("disabled-children", "~", "Disabled children and complex needs",
      "The answer returns to disabled children, non-instructed advocacy or children with complex needs.",
      "wider-scope",
      ["Please don't forget disabled children this time.",
       "Children with complex needs are always the last to be thought about."],
      ["disabled kids matter too"],
      ["We urge the Department to ensure that disabled children are considered throughout the standards, not only in the section on non-instructed advocacy."],
      ["They are the children least able to complain when things go wrong."]),
    C("workforce-and-training", "~", "Advocate workforce, pay and training",
      "The answer raises the advocacy workforce: pay, training, qualifications or retention.",
      "funding-and-sufficiency",
      ["Advocates need to be paid and trained properly.",
       "Advocacy is skilled work and should be treated as a profession."],
      ["advocates should get paid more"],
      ["A national workforce strategy for advocacy, covering pay, qualifications and progression, is needed alongside the standards."],
      ["Good advocates leave because the pay is poor."]),
    C("wider-scope", "~", "Advocacy in all settings",
      "The answer wants advocacy available in more settings: child protection, SEND, justice, health.",
      "disabled-children",
      ["Advocacy should be there for children in all settings, not only care.",
       "Children in hospital, custody and special schools need advocates too."],
      ["every kid who needs one should get one"],
      ["The reach of the standards beyond looked-after children is welcome and should be protected in the final version."],
      ["Children move between systems all the time."]),
    C("rights-and-information", "~", "Telling children about their rights",
      "The answer returns to children being told of their rights in a way they understand.",
      "active-offer",
      ["Children need to be told about their rights properly.",
       "Most children I know have never heard of advocacy."],
      ["tell kids about advocates, nobody knows"],
      ["Children's knowledge of their rights remains the greatest barrier to advocacy; every standard should be read in that light."],
      ["Information has to be in a form children can actually use."]),
    C("complaints-and-escalation", "~", "Complaints and escalation",
      "The answer returns to complaints, escalation or the Children's Commissioner.",
      "data-and-accountability",
      ["Children need a way to complain that actually works.",
       "There has to be somewhere to go when the council won't listen."],
      ["complaining is pointless right now"],
      ["An effective route for escalation, independent of the local authority, is essential if advocacy is to secure change for children."],
      ["Otherwise nothing changes."]),
    C("funding-and-sufficiency", "~", "Funding and enough advocates",
      "The answer says the standards need funding or that there are not enough advocates.",
      "workforce-and-training",
      ["None of this will work without money.",
       "There simply aren't enough advocates to go round."],
      ["they need more advocates"],
      ["We are clear that the standards cannot be met within existing budgets, and urge the Department to publish an assessment of the cost of implementation."],
      ["Councils are cutting services, not expanding them."]),
    C("data-and-accountability", "~", "Accountability and monitoring",
      "The answer wants councils held to account: data, inspection, monitoring or enforcement of the standards.",
      "independence",
      ["Someone needs to check councils are actually doing this.",
       "There should be consequences for councils that ignore the standards."],
      ["who is going to make them do it"],
      ["Without published data and independent inspection there will be no way of knowing whether the standards are being met."],
      ["Standards without accountability change very little."]),
    C("implementation-and-timescale", "~", "Implementation and timescale",
      "The answer is about how and when the standards come in: transition time, guidance, phasing.",
      "welcome-revision",
      ["Give councils and providers enough time to put this in place.",
       "There should be clear guidance on how to implement the standards."],
      ["dont take years to do it"],
      ["We recommend a phased implementation over 18 to 24 months, supported by practice guidance and a transition fund."],
      ["Rushing it would set services up to fail."]),
    C("consultation-process", "~", "The consultation itself",
      "The answer comments on this consultation: too long, hard to find, or not accessible to children.",
      "rights-and-information",
      ["This consultation was hard to find and far too long.",
       "There should have been a proper young person's version of this consultation."],
      ["this survey was way too long",
       "the questions were confusing"],
      ["We were disappointed that an accessible version of the consultation was not available at launch."],
      ["Thank you for the chance to respond anyway."]),
]

QUESTIONS = [
    Question("q1", "hybrid",
             "Do you agree that every eligible child should be offered an advocate on an opt-out basis (an 'active offer'), rather than having to ask for one?",
             "Opt-out advocacy (the active offer)",
             "Q1 Do you agree that advocacy should be offered on an opt-out basis?", "Q1 Why?", AGREE, Q1),
    Question("q2", "hybrid",
             "Do you agree that advocates should be independent of the local authority that commissions them, including being managed outside children's services?",
             "Independence of advocates",
             "Q2 Do you agree that advocates should be independent of the commissioning local authority?", "Q2 Why?", AGREE, Q2),
    Question("q3", "hybrid",
             "Do you agree that the standards should require non-instructed advocacy for disabled children and children with complex needs who cannot give instructions?",
             "Non-instructed advocacy",
             "Q3 Do you agree that the standards should require non-instructed advocacy?", "Q3 Why?", AGREE, Q3),
    Question("q4", "hybrid",
             "Do you agree that all advocates should hold a minimum qualification and complete regular training?",
             "Qualifications and training",
             "Q4 Do you agree that advocates should hold a minimum qualification?", "Q4 Why?", AGREE, Q4),
    Question("q5", "hybrid",
             "Do you agree that the standards should apply to advocacy in a wider range of settings, including child protection, SEND, school exclusion, youth justice, secure and residential settings and mental health?",
             "Wider scope of the standards",
             "Q5 Do you agree that the standards should apply in a wider range of settings?", "Q5 Why?", AGREE, Q5),
    Question("q6", "hybrid",
             "Do you agree that every child must be told about their right to an advocate in a way they understand, including through interpreters, accessible formats and a child-friendly summary?",
             "Telling children about their right to an advocate",
             "Q6 Do you agree that every child must be told about their right to an advocate?", "Q6 Why?", AGREE, Q6),
    Question("q7", "hybrid",
             "Do you agree that advocates should support children to make complaints and be able to escalate unresolved concerns to the Children's Commissioner?",
             "Complaints and escalation",
             "Q7 Do you agree with the proposals on complaints and escalation?", "Q7 Why?", AGREE, Q7),
    Question("q8", "hybrid",
             "Do you agree that local authorities should collect and publish data on advocacy and make sure there are enough advocates to meet demand?",
             "Data, monitoring and sufficiency",
             "Q8 Do you agree that local authorities should publish data on advocacy and ensure sufficiency?", "Q8 Why?", AGREE, Q8),
    Question("q9", "closed",
             "Overall, how clear do you find the revised standards?",
             "Clarity of the standards",
             "Q9 Overall, how clear do you find the revised standards?", None,
             ["Very clear", "Fairly clear", "Not very clear", "Not at all clear"], []),
    Question("q10", "open", "What else should the standards include?", "What else the standards should include",
             None, "Q10 What else should the standards include?", [], Q10),
    Question("q11", "open", "Do you have any other comments?", "Any other comments",
             None, "Q11 Any other comments?", [], Q11),
]
TEXT_QUESTIONS = [q for q in QUESTIONS if q.text_column]
# The q11 theme that each earlier question's topic comes back as in "any other comments".
SECTION_THEME = {"q1": "active-offer", "q2": "independence", "q3": "disabled-children",
                 "q4": "workforce-and-training", "q5": "wider-scope", "q6": "rights-and-information",
                 "q7": "complaints-and-escalation", "q8": "data-and-accountability"}

# --------------------------------------------------------------------------
# Respondents
# --------------------------------------------------------------------------

INDIVIDUAL_GROUPS = [("Young person", 22), ("Parent or carer", 24), ("Foster carer", 12),
                     ("Advocate", 12), ("Social worker", 14), ("Other professional", 16)]
ORG_GROUPS = [("Local authority", 30), ("Advocacy provider", 25), ("Charity or voluntary organisation", 25),
              ("Health body", 10), ("Other organisation", 10)]
REGIONS = [("North East", 5), ("North West", 13), ("Yorkshire and the Humber", 10), ("East Midlands", 9),
           ("West Midlands", 11), ("East of England", 11), ("London", 15), ("South East", 16),
           ("South West", 10)]
VOICE = {"Young person": "yp", "Parent or carer": "parent", "Foster carer": "foster", "Advocate": "advocate",
         "Social worker": "sw", "Other professional": "prof"}

# Invented place names (kept away from real local authorities).
PLACES = ["Brackenmoor", "Eldermere", "Fenwold", "Harrowdale", "Kestonbridge", "Larkhaven", "Thornmere",
          "Oakhollow", "Westcombe Moor", "Redfern Bay", "Ravensmoor", "Hollinsford", "Greywater", "Sallowby",
          "Durnham Vale", "Penvale", "Barrowmere", "Ketterby", "Wrenfield", "Castlemoor", "Aldermoss",
          "Brindlecombe", "Copperleigh", "Dunmarsh", "Fallowmere", "Gorsebrook", "Hazelbury Fen", "Ivydene",
          "Juniper Cross", "Kingsmire", "Lowerwick", "Merrowdale", "Northwold Marsh", "Orchardleigh",
          "Pebblesford", "Quarrington Vale", "Rookhampton", "Saltmere", "Tamsworth Fen", "Upper Wendle",
          "Vintner's Cross", "Willowmere", "Yarrowby", "Ashgrove Fen", "Birchmoor", "Cinderford Vale"]
ADJ = ["Brightvoice", "Clearpath", "Lanternhouse", "Kitestring", "Willowbank", "Harbourlight", "Open Gate",
       "Bluebell Lane", "Compass Rose", "Skylark", "Tidewater", "Hearthstone", "Amberlight", "Meadowsweet",
       "Fieldfare", "Springwell", "Kingfisher Court", "Waymark", "Lodestar", "Beacon Hill"]
ORG_PATTERNS = {
    "Local authority": ["{P} County Council", "{P} Borough Council", "{P} City Council", "{P} Council",
                        "Metropolitan Borough of {P}"],
    "Advocacy provider": ["{A} Advocacy", "{A} Children's Advocacy CIC", "{A} Independent Advocacy Ltd",
                          "{P} Advocacy Partnership", "{A} Young People's Advocacy Service"],
    "Charity or voluntary organisation": ["{A} Children's Trust", "{P} Young People's Project", "The {A} Foundation",
                                          "{P} Care Leavers' Network", "{P} Parent Carer Forum",
                                          "{P} Young Carers", "Friends of {A}"],
    "Health body": ["{P} Community Health NHS Trust", "{P} Children's Hospital NHS Foundation Trust",
                    "{P} and {P2} Integrated Care Board", "{P} CAMHS Partnership"],
    "Other organisation": ["{P} Youth Council", "{P} Academy Trust", "{P} Law Centre",
                           "{A} Residential Care Ltd", "{P} Secure Children's Home",
                           "Association of {A} Practitioners"],
}

# --------------------------------------------------------------------------
# Voices
# --------------------------------------------------------------------------

OPENERS = {
    "yp": ["", "", "", "tbh ", "i think ", "honestly ", "yeah ", "as a young person in care, ", "from my experience "],
    "parent": ["", "", "I think ", "As a parent, ", "In my experience, ", "Speaking as a mum, ",
               "As a dad of a child who was in care, ", "Personally, "],
    "foster": ["", "", "As a foster carer, ", "In my experience as a foster carer, ",
               "Having fostered teenagers for many years, ", "I think "],
    "advocate": ["", "", "As an advocate, ", "In my work as an advocate, ", "From my practice, "],
    "sw": ["", "", "As a social worker, ", "In my experience as a social worker, ",
           "Speaking as a children's social worker, "],
    "prof": ["", "", "As a teacher, ", "As an IRO, ", "As a school nurse, ", "As a youth worker, ",
             "Working in CAMHS, ", "As a solicitor representing children, ", "As a residential support worker, "],
    "org": ["", "", "In our view, ", "Our experience is that ", "From our work with children, "],
}
LEADS = {
    "Agree": ["Yes.", "Agree.", "Definitely.", "Absolutely.", "Yes!", "I agree.", "Strongly agree.", "Yes -",
              "Yes, I agree.", "Agreed.", "100%.", "Yes, definitely.", "Totally agree.", "Of course.", "Yes, 100%."],
    "Disagree": ["No.", "I disagree.", "Not really.", "No -", "Disagree.", "I don't agree.", "Not as it stands.",
                 "No, I don't think so.", "Strongly disagree.", "I can't support this."],
    "Not sure": ["Not sure.", "Hard to say.", "It depends.", "Mixed feelings.", "Unsure.", "I'm torn.", "Partly.",
                 "Yes and no.", "In principle yes, but it's complicated."],
}
ORG_LEADS = {
    "Agree": ["We support this proposal.", "{org} strongly agrees.", "We welcome this.", "We agree.",
              "{org} supports this standard."],
    "Disagree": ["We do not support this proposal as drafted.", "{org} disagrees.", "We cannot support this."],
    "Not sure": ["We have mixed views on this.", "We support the intent but have concerns.",
                 "{org} is not yet persuaded."],
}
ALL_LEADS = [x for v in LEADS.values() for x in v]
CONNECTORS = ["", "", "", "Also, ", "And ", "Plus ", "On top of that, ", "Another thing is ", "Also ",
              "What's more, ", "Besides that, ", "Secondly, ", "Equally, ", "At the same time, ", "As well as that, ",
              "And another thing, ", "Oh and ", "One more thing: "]
ORG_CONNECTORS = ["", "", "In addition, ", "Furthermore, ", "We would also note that ", "Finally, ", "Moreover, ",
                  "Separately, ", "Alongside this, ", "We would add that ", "It should also be noted that "]
NON_SUBSTANTIVE = ["n/a", "N/A", "No comment", "No comment.", "See my previous answer", "See previous answer",
                   "As above", "As above.", "Nothing to add", "Nothing further to add.", "-", "none", "None",
                   "no", "Same as before", "nothing", "See answer to question 1"]
OFF_TOPIC = ["The online form kept logging me out halfway through.",
             "I think the government should sort out the schools first.",
             "Bring back youth clubs, there is nothing for teenagers to do round here.",
             "My council tax has gone up again and services are worse than ever.",
             "Why is this survey asking about my region?",
             "I don't really understand what this question is asking.",
             "Potholes on our road have not been fixed for two years.",
             "lol", "Who writes these questions?",
             "I was asked to fill this in at work so here I am."]

# --------------------------------------------------------------------------
# Campaigns
# --------------------------------------------------------------------------

# (sentence, code or None). The first sentence is never edited or dropped.
CAMPAIGN_A = [
    ("I am writing in support of the Every Child Heard campaign.", None),
    ("Every child in care, on a child protection plan or in a secure setting should be offered an advocate automatically, unless they say no.", None),
    ("Children cannot ask for something they have never been told about.", "children-dont-know-to-ask"),
    ("An active offer would make advocacy a normal part of the system rather than something only confident children get.", "normalises-advocacy"),
    ("It would also mean children get help early, before things reach crisis point.", "earlier-help"),
    ("Please make the opt-out offer a firm requirement in the final standards, not just good practice.", None),
]
CAMPAIGN_B = [
    ("I support the Lived Experience Counts statement.", None),
    ("Some of the best advocates I have met are care-experienced people who understand what children are going through.", "lived-experience-valued"),
    ("A compulsory qualification would shut many of them out of the work, and would make it harder to recruit advocates at a time when there are already too few.", "barrier-to-recruitment"),
    ("Training should be offered and paid for once someone is in post, not demanded before they can start.", "funded-training"),
]
# Context a respondent gives before their own point; not a point in itself, so no code.
PERSONAL = {
    "yp": ["ive been in care since i was 9", "I'm 15 and live in a childrens home.", "i left care last year",
           "I have had 4 social workers in 2 years."],
    "parent": ["My two children were in care for three years.", "Our family went through child protection last year.",
               "My daughter is in a residential school.", "I'm a mum of a child with autism."],
    "foster": ["I have fostered for over ten years.", "We foster teenagers and sibling groups.",
               "I'm a kinship carer for my grandson.", "We have had 30 children through our home."],
    "advocate": ["I have been an advocate for eight years.", "I work as an advocate in a secure children's home."],
    "sw": ["I've been a social worker in a looked-after children team for six years.",
           "I work in a busy child protection team."],
    "prof": ["I work as a designated teacher for looked-after children.", "I'm an IRO in a large authority.",
             "I chair child protection conferences."],
}
CAMPAIGN_EDITS = [("I am writing", "I'm writing"), ("automatically", "as a matter of course"),
                  ("firm requirement", "clear requirement"), ("crisis point", "crisis"),
                  ("Please make", "I urge you to make"), ("normal part", "normal, expected part"),
                  ("I support", "I fully support"), ("Some of the best", "Many of the best"),
                  ("compulsory", "mandatory"), ("once someone is in post", "on the job"),
                  ("never been told about", "never heard of"), ("unless they say no", "unless they choose not to")]

# --------------------------------------------------------------------------
# Planted personal data: (groups allowed, sentence, [(kind, text), ...])
# --------------------------------------------------------------------------

FAMILY = ("Parent or carer", "Foster carer")
YP = ("Young person",)
ANY = None
PLANTS = [
    (FAMILY, "My son Jack was moved four times in a year and nobody explained why.", [("child_name", "Jack")]),
    (FAMILY, "My daughter Amelia has cerebral palsy and uses an eye-gaze device, and nobody has ever asked her what she thinks.", [("child_name", "Amelia")]),
    (FAMILY, "Our foster son Tyler (he's 14) would never have asked for an advocate.", [("child_name", "Tyler")]),
    (YP, "my little brother Kacper needs someone who speaks Polish", [("child_name", "Kacper")]),
    (FAMILY, "My granddaughter Aaliyah was only told about advocacy after she complained.", [("child_name", "Aaliyah")]),
    (FAMILY, "When my son Oliver was excluded from school nobody asked him what happened.", [("child_name", "Oliver")]),
    (FAMILY, "Our youngest, Mason, is non-verbal and has never had an advocate.", [("child_name", "Mason")]),
    (YP, "my best friend Priya Sharma was in a secure unit and didnt have anyone", [("child_name", "Priya Sharma")]),
    (ANY, "Mrs Patel, our social worker, was brilliant but she left after six months.", [("person_name", "Mrs Patel")]),
    (FAMILY, "The IRO, Mr Henderson, never once spoke to my son alone.", [("person_name", "Mr Henderson")]),
    (ANY, "I complained to Ms Okonkwo at the council and never heard back.", [("person_name", "Ms Okonkwo")]),
    (FAMILY, "Dr Lewis at CAMHS told us there was no advocacy service for inpatients.", [("person_name", "Dr Lewis")]),
    (YP, "my advocate miss Grant was the only one who listened", [("person_name", "miss Grant")]),
    (("Foster carer",), "My name is Sarah Thompson and I have been a foster carer since 2009. Please email me at sarah.thompson82@example.com if you want to know more.",
     [("person_name", "Sarah Thompson"), ("email", "sarah.thompson82@example.com")]),
    (YP, "my name is Jordan Blake im 16 and i was born on 14/03/2007. contact me jordanb2007@example.co.uk",
     [("person_name", "Jordan Blake"), ("date_of_birth", "14/03/2007"), ("email", "jordanb2007@example.co.uk")]),
    (("Social worker",), "I'm Deborah Ansah, a social worker in a busy duty team. I am happy to be contacted: d.ansah@example.org.",
     [("person_name", "Deborah Ansah"), ("email", "d.ansah@example.org")]),
    (ANY, "Signed, Gareth Pryce-Williams", [("person_name", "Gareth Pryce-Williams")]),
    (FAMILY, "my email is mum.of.three@example.net if anyone wants to ask me about it", [("email", "mum.of.three@example.net")]),
    (ANY, "You can call me on 07700 900123.", [("phone", "07700 900123")]),
    (ANY, "Happy to discuss - my mobile is +44 7700 900456.", [("phone", "+44 7700 900456")]),
    (("Other professional", "Advocate", "Social worker"), "Please ring me at work on 020 7946 0958 (extension 4).", [("phone", "020 7946 0958")]),
    (FAMILY, "Phone (0161) 496 0732 evenings only.", [("phone", "(0161) 496 0732")]),
    (YP, "text me 07700900881", [("phone", "07700900881")]),
    (ANY, "Tel: 0113-496-0214", [("phone", "0113-496-0214")]),
    (FAMILY, "If you want to follow up, call +44 (0)117 496 0555.", [("phone", "+44 (0)117 496 0555")]),
    (FAMILY, "We live in LS6 2QT and there is one advocate for the whole area.", [("postcode", "LS6 2QT")]),
    (ANY, "Postcode M14 5TQ if that helps with your analysis.", [("postcode", "M14 5TQ")]),
    (YP, "im in the childrens home near B23 6HX and nobody visits", [("postcode", "B23 6HX")]),
    (FAMILY, "You can write to me at 14 Larkspur Close, Fenwold, FW3 9RB.", [("address", "14 Larkspur Close"), ("postcode", "FW3 9RB")]),
    (FAMILY, "Our address is Flat 3, 27 Mill Lane, Greywater, GW7 2AD, and letters from the council never arrive there anyway.",
     [("address", "Flat 3, 27 Mill Lane"), ("postcode", "GW7 2AD")]),
    (FAMILY, "My daughter's NHS number is 943 476 5919 if you need to check her records.", [("nhs_number", "943 476 5919")]),
    (FAMILY, "(his NHS no. is 4857773457)", [("nhs_number", "4857773457")]),
    (ANY, "My National Insurance number is JK 48 21 93 D, as the paper form asked for it.", [("ni_number", "JK 48 21 93 D")]),
    (ANY, "NI number PR123456A", [("ni_number", "PR123456A")]),
    (FAMILY, "He was born on 3 March 2010 and went into care at six.", [("date_of_birth", "3 March 2010")]),
    (YP, "DOB 22.07.2009", [("date_of_birth", "22.07.2009")]),
    (FAMILY, "Our foster daughter Chloe Martin, date of birth 09/11/2011, waited five months for an advocate.",
     [("child_name", "Chloe Martin"), ("date_of_birth", "09/11/2011")]),
    (ANY, "Any questions, contact Mr David Okafor on 07700 900777 or david.okafor@example.com.",
     [("person_name", "Mr David Okafor"), ("phone", "07700 900777"), ("email", "david.okafor@example.com")]),
]

WELSH = [
    ("q6", "Agree",
     "Rwy'n cytuno'n llwyr. Dylai pob plentyn a pherson ifanc gael gwybod am eu hawl i eiriolwr, mewn iaith maen nhw'n ei deall. "
     "Mae rhai plant sy'n byw yn Lloegr yn siarad Cymraeg fel eu hiaith gyntaf, a dylen nhw allu cael eiriolwr sy'n siarad Cymraeg. "
     "Dylai'r safonau gynnwys gwybodaeth ddwyieithog a chyfieithydd am ddim.",
     ["interpreting-and-languages"]),
    ("q11", None,
     "Diolch am y cyfle i ymateb. Rwy'n croesawu'r safonau newydd, ond heb arian ychwanegol ni fydd digon o eiriolwyr i bob plentyn.",
     ["welcome-revision", "funding-and-sufficiency"]),
]

HTMLISH = ("q10", "<script>alert(1)</script> sorry, pasted that from somewhere. The standards need to be <b>bold</b>: "
           "make them statutory so councils actually have to follow them. {{ 7*7 }}", ["statutory-footing"])

# --------------------------------------------------------------------------
# Composition helpers
# --------------------------------------------------------------------------

# (agree, disagree, not sure) weights of each question's closed answer, by default and for some groups.
STANCE_BASE = {"q1": (68, 14, 18), "q2": (62, 18, 20), "q3": (75, 8, 17), "q4": (58, 24, 18),
               "q5": (70, 12, 18), "q6": (85, 5, 10), "q7": (72, 12, 16), "q8": (60, 20, 20)}
STANCE_GROUP = {
    "Local authority": {"q1": (40, 30, 30), "q2": (25, 50, 25), "q5": (45, 20, 35), "q8": (35, 40, 25)},
    "Advocacy provider": {"q2": (90, 3, 7), "q8": (80, 5, 15)},
    "Advocate": {"q2": (85, 5, 10), "q4": (55, 30, 15)},
    "Young person": {"q4": (50, 30, 20)},
    "Parent or carer": {"q3": (65, 15, 20)},
    "Social worker": {"q8": (45, 30, 25)},
}
N_POINTS = {"yp": (65, 30, 5), "parent": (50, 35, 15), "foster": (50, 35, 15), "advocate": (40, 40, 20),
            "sw": (40, 40, 20), "prof": (40, 40, 20), "org": (15, 35, 35, 15)}
P_MORE = {"yp": 0.1, "parent": 0.25, "foster": 0.25, "advocate": 0.35, "sw": 0.35, "prof": 0.35, "org": 0.6}
TYPOS = [("don't", "dont"), ("can't", "cant"), ("it's", "its"), ("definitely", "definately"), ("a lot", "alot"),
         ("their", "there"), ("because", "becuase"), ("would", "woud"), ("really", "realy"), ("should", "shoud"),
         ("children", "childen"), ("advocate", "advacate"), ("I'm", "im"), ("government", "goverment"),
         ("separate", "seperate"), ("necessary", "neccessary"), ("they're", "there"), ("know", "kno")]


def pick(rng: random.Random, weighted):
    """One item from (item, weight) pairs."""
    items = [i for i, _ in weighted]
    return rng.choices(items, weights=[w for _, w in weighted])[0]


IMPERATIVE = ("Give ", "Make ", "Ask ", "Think ", "Offer ", "Please ", "Let ", "Check ", "Try ", "We ", "Our ",
              "give ", "make ", "ask ", "let ", "try ", "help ", "tell ", "remind ", "check ", "dont ")


def end_stop(s: str) -> str:
    """s with a full stop added if it does not end a sentence."""
    return s if s.rstrip().endswith((".", "!", "?", ")", '"')) else s.rstrip() + "."


def join_sentences(a: str, b: str, sep: str = " ") -> str:
    return end_stop(a) + sep + b if a else b


def lc_first(s: str) -> str:
    """Lower-case the first letter, unless it starts 'I', an acronym or a name-like word."""
    if not s or s.startswith(("I ", "I'")) or (len(s) > 1 and s[1].isupper()):
        return s
    return s[0].lower() + s[1:]


def weighted_sample(rng: random.Random, items, weights, k):
    """k distinct items drawn with the given weights."""
    items, weights, out = list(items), list(weights), []
    for _ in range(min(k, len(items))):
        i = rng.choices(range(len(items)), weights=weights)[0]
        out.append(items.pop(i))
        weights.pop(i)
    return out


def code_weight(code: Code, stance: str | None) -> float:
    if stance == "Agree":
        return {"+": 4, "~": 2, "-": 0.15}[code.stance]
    if stance == "Disagree":
        return {"-": 4, "~": 2, "+": 0.15}[code.stance]
    if stance == "Not sure":
        return {"~": 3, "-": 2, "+": 1}[code.stance]
    return 1.0


def sentence_for(rng: random.Random, code: Code, voice: str) -> str:
    r = rng.random()
    if voice == "yp":
        bank = code.yp if r < 0.8 else code.gen
    elif voice == "parent":
        bank = code.gen
    elif voice == "foster":
        bank = code.gen if r < 0.9 else code.pro
    elif voice == "org":
        bank = code.pro if r < 0.75 else code.gen
    else:
        bank = code.gen if r < 0.5 else code.pro
    return rng.choice(bank or code.gen)


def add_typos(rng: random.Random, text: str, n: int) -> str:
    """Introduce n human-looking slips."""
    for _ in range(n):
        r = rng.random()
        if r < 0.55:
            cands = [(a, b) for a, b in TYPOS if a in text]
            if cands:
                a, b = rng.choice(cands)
                text = text.replace(a, b, 1)
                continue
        words = text.split(" ")
        idx = [i for i, w in enumerate(words) if len(w) >= 6 and w.isalpha()]
        if idx and r < 0.9:
            i = rng.choice(idx)
            w = words[i]
            j = rng.randrange(1, len(w) - 2)
            words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2:]
            text = " ".join(words)
        elif text.endswith("."):
            text = text[:-1]
    return text


# --------------------------------------------------------------------------
# Variation: the same point in many wordings
# --------------------------------------------------------------------------
# Real people who make the same point rarely write the same sentence. Each point
# starts from one of its code's phrasings and is then re-worded: synonyms and
# contractions, a stance frame or hedge, a reason or example, a tail, clause
# order, and optional specifics (a role, a setting, a length of time).

# Word or phrase (matched case-insensitively, longest first) -> interchangeable wordings.
SYNONYMS = {
    "children and young people": ["children and young people", "children", "young people", "kids and young people"],
    "young people": ["young people", "teenagers", "children and young people", "older children", "young people"],
    "children": ["children", "kids", "young people", "children and young people", "children"],
    "kids": ["kids", "children", "young people"],
    "a child": ["a child", "a young person", "a kid"],
    "the child": ["the child", "the young person", "the kid"],
    "every child": ["every child", "each child", "every young person", "any child"],
    "local authority": ["local authority", "council", "LA"],
    "local authorities": ["local authorities", "councils", "LAs"],
    "the council": ["the council", "the local authority", "the LA", "their council"],
    "councils": ["councils", "local authorities", "LAs"],
    "social worker": ["social worker", "SW", "social worker"],
    "social workers": ["social workers", "SWs", "social workers"],
    "don't": ["don't", "do not", "dont"],
    "doesn't": ["doesn't", "does not"],
    "can't": ["can't", "cannot", "can not"],
    "won't": ["won't", "will not"],
    "isn't": ["isn't", "is not"],
    "aren't": ["aren't", "are not"],
    "shouldn't": ["shouldn't", "should not"],
    "it's": ["it's", "it is"],
    "there's": ["there's", "there is"],
    "I'm": ["I'm", "I am"],
    "I've": ["I've", "I have"],
    "I'd": ["I'd", "I would"],
    "they're": ["they're", "they are"],
    "should": ["should", "must", "ought to", "should"],
    "need to": ["need to", "have to", "must"],
    "needs to": ["needs to", "has to", "must"],
    "really": ["really", "genuinely", "truly", "actually"],
    "very": ["very", "really", "extremely", "incredibly", "so"],
    "a lot of": ["a lot of", "lots of", "many", "loads of", "plenty of"],
    "lots of": ["lots of", "a lot of", "many", "loads of"],
    "often": ["often", "frequently", "regularly", "so often"],
    "always": ["always", "constantly", "invariably"],
    "important": ["important", "vital", "essential", "crucial", "key"],
    "make sure": ["make sure", "ensure", "guarantee"],
    "properly": ["properly", "correctly", "adequately", "well"],
    "proper": ["proper", "real", "genuine", "decent", "adequate"],
    "help": ["help", "support"],
    "I think": ["I think", "I believe", "I feel", "I reckon"],
    "money": ["money", "funding", "resources", "cash"],
    "funding": ["funding", "money", "resources", "investment"],
    "because": ["because", "as", "since", "because"],
    "the standards": ["the standards", "the new standards", "these standards", "the revised standards",
                      "the national standards"],
    "the Department": ["the Department", "the DfE", "DfE", "government", "ministers"],
    "just": ["just", "simply", "only", ""],
    "in care": ["in care", "looked after", "in the care system", "in care"],
    "care leavers": ["care leavers", "care-experienced young people", "young people leaving care"],
    "meetings": ["meetings", "reviews", "meetings"],
    "information": ["information", "info", "details"],
    "at the moment": ["at the moment", "currently", "right now", "at present"],
    "currently": ["currently", "at the moment", "right now", "at present"],
    "problems": ["problems", "issues", "difficulties"],
    "problem": ["problem", "issue"],
    "difficult": ["difficult", "hard", "tough"],
    "someone": ["someone", "somebody"],
    "nobody": ["nobody", "no one", "no-one"],
    "no one": ["no one", "nobody"],
    "everyone": ["everyone", "everybody"],
    "extra": ["extra", "additional"],
    "additional": ["additional", "extra", "more"],
    "rather than": ["rather than", "instead of"],
    "instead of": ["instead of", "rather than"],
    "an advocate": ["an advocate", "an independent advocate", "an advocate"],
    "advocates": ["advocates", "advocacy workers", "independent advocates", "advocates"],
    "professionals": ["professionals", "practitioners", "staff", "professionals"],
    "good": ["good", "great", "positive"],
    "big": ["big", "huge", "major"],
    "massively": ["massively", "hugely", "enormously"],
    "going to": ["going to", "gonna", "going to"],
    "whether": ["whether", "if"],
    "ask for": ["ask for", "request"],
    "things": ["things", "stuff", "matters"],
    "every": ["every", "each"],
    "enough": ["enough", "sufficient", "enough"],
    "quickly": ["quickly", "fast", "promptly"],
    "worried": ["worried", "concerned", "anxious"],
    "worry": ["worry", "fear"],
    "scared": ["scared", "frightened", "afraid"],
    "clear": ["clear", "explicit", "clear"],
    "clearly": ["clearly", "explicitly"],
    "many": ["many", "lots of", "plenty of", "numerous"],
    "explained": ["explained", "spelled out", "set out"],
    "completely": ["completely", "totally", "entirely"],
    "definitely": ["definitely", "certainly", "absolutely"],
    "especially": ["especially", "particularly", "in particular"],
    "start": ["start", "beginning", "outset"],
    "decisions": ["decisions", "choices", "plans"],
    "listen": ["listen", "pay attention"],
    "fair": ["fair", "right", "fair"],
    "advocacy": ["advocacy", "advocacy services", "independent advocacy", "advocacy support"],
    "advocate": ["advocate", "advocacy worker", "independent advocate"],
    "already": ["already", "even now", "as it is"],
    "without": ["without", "unless there is", "in the absence of"],
    "experience": ["experience", "knowledge", "experience"],
    "independent": ["independent", "separate", "truly independent"],
    "services": ["services", "provision", "support services"],
    "service": ["service", "provision", "offer"],
    "settings": ["settings", "places", "environments"],
    "rights": ["rights", "entitlements"],
    "understand": ["understand", "grasp", "make sense of"],
    "guidance": ["guidance", "advice", "direction"],
    "concerns": ["concerns", "worries", "issues"],
    "providers": ["providers", "organisations", "services"],
    "provider": ["provider", "organisation"],
    "capacity": ["capacity", "resource", "staff"],
    "different": ["different", "distinct", "varied"],
    "include": ["include", "cover", "take in"],
    "including": ["including", "such as", "for example"],
    "ensure": ["ensure", "make sure", "guarantee"],
    "require": ["require", "need", "call for"],
    "requirement": ["requirement", "duty", "expectation"],
    "would": ["would", "will", "could"],
    "could": ["could", "might", "may"],
    "may": ["may", "might", "could"],
    "significantly": ["significantly", "substantially", "markedly"],
    "particularly": ["particularly", "especially", "above all"],
    "precisely": ["precisely", "exactly"],
    "consistent": ["consistent", "uniform", "reliable"],
    "publish": ["publish", "report", "make public"],
    "data": ["data", "figures", "statistics", "information"],
    "process": ["process", "procedure", "system"],
    "procedures": ["procedures", "processes", "systems"],
    "recommend": ["recommend", "suggest", "propose"],
    "suggest": ["suggest", "propose", "recommend"],
    "welcome": ["welcome", "support", "are pleased to see"],
    "strongly": ["strongly", "firmly", "wholeheartedly"],
    "concerned": ["concerned", "worried", "anxious"],
    "essential": ["essential", "vital", "critical"],
    "vital": ["vital", "essential", "crucial"],
    "parents": ["parents", "families", "mums and dads"],
    "family": ["family", "relatives"],
    "school": ["school", "schools", "education"],
    "placement": ["placement", "care placement", "home"],
    "training": ["training", "CPD", "learning"],
    "qualification": ["qualification", "accreditation", "certificate"],
    "recruit": ["recruit", "hire", "find"],
    "staff": ["staff", "workers", "people"],
    "workers": ["workers", "staff"],
    "assessment": ["assessment", "analysis", "review"],
    "expanding": ["expanding", "widening", "extending"],
    "specific": ["specific", "particular", "distinct"],
    "appropriate": ["appropriate", "suitable", "proper"],
    "outcomes": ["outcomes", "results", "impact"],
    "meaningful": ["meaningful", "real", "genuine"],
    "effective": ["effective", "useful", "successful"],
    "increase": ["increase", "raise", "push up"],
    "reduce": ["reduce", "cut", "lower"],
    "demand": ["demand", "need", "requests"],
    "area": ["area", "region", "locality"],
    "areas": ["areas", "regions", "places"],
    "whole": ["whole", "entire"],
    "simply": ["simply", "just", "plainly"],
    "actually": ["actually", "really", "in fact"],
    "powers": ["powers", "authority", "teeth"],
    "local": ["local", "local-level"],
    "decision": ["decision", "choice", "plan"],
    "confident": ["confident", "assertive", "self-assured"],
    "terrifying": ["terrifying", "frightening", "scary"],
    "overwhelmed": ["overwhelmed", "overloaded", "swamped"],
    "complain": ["complain", "make a complaint", "put in a complaint"],
    "letter": ["letter", "reply", "letter back"],
    "friend": ["friend", "mate", "best mate"],
    "idea": ["idea", "clue"],
    "happening": ["happening", "going on"],
    "feelings": ["feelings", "opinions", "views", "thoughts"],
    "talk": ["talk", "speak"],
    "speak": ["speak", "talk"],
    "know": ["know", "realise"],
    "research": ["research", "survey", "work"],
    "a large proportion": ["a large proportion", "a significant number", "many"],
    "found": ["found", "showed", "revealed"],
    "recall": ["recall", "remember"],
    "ever": ["ever", "at any point"],
    "siblings": ["siblings", "brothers and sisters"],
    "separated": ["separated", "split up", "placed apart"],
    "stay in touch": ["stay in touch", "keep in contact", "keep in touch"],
    "want": ["want", "wish", "would like"],
    "meeting": ["meeting", "review", "conference"],
    "adults": ["adults", "grown-ups", "professionals"],
    "trouble": ["trouble", "bother", "difficulty"],
    "sticking up for": ["sticking up for", "standing up for", "defending"],
    "offered": ["offered", "given", "provided with"],
    "contact": ["contact", "reach", "get hold of"],
    "online": ["online", "digitally", "over the internet"],
    "reply": ["reply", "respond", "answer"],
    "ages": ["ages", "months", "forever"],
    "months": ["months", "ages", "a long time"],
    "weeks": ["weeks", "a month", "ages"],
    "mean": ["mean", "imply", "show"],
    "matter": ["matter", "count"],
    "life": ["life", "future"],
    "first": ["first", "initially", "first"],
    "everything": ["everything", "it all", "all of it"],
    "anything": ["anything", "a thing"],
    "person": ["person", "individual"],
    "paid": ["paid", "funded", "covered"],
    "check": ["check", "monitor", "make sure"],
    "involved": ["involved", "included", "consulted"],
    "moved": ["moved", "shifted", "sent elsewhere"],
    "not sure": ["not sure", "unclear", "unsure"],
    "exactly": ["exactly", "precisely"],
    "in practice": ["in practice", "in reality", "day to day"],
    "babies and toddlers": ["babies and toddlers", "infants", "very young children", "under-fives"],
    "care proceedings": ["care proceedings", "court proceedings", "care cases"],
    "looking out for": ["looking out for", "watching out for", "protecting"],
    "wider coverage": ["wider coverage", "a broader scope", "extending the scope"],
    "setting-specific": ["setting-specific", "tailored", "bespoke"],
    "legal frameworks": ["legal frameworks", "laws", "legal rules"],
    "differ considerably": ["differ considerably", "vary a great deal", "are very different"],
    "three years": ["three years", "two years", "nearly four years", "over three years"],
    "mentioned": ["mentioned", "brought up", "talked about"],
    "anyone": ["anyone", "anybody", "a single person"],
    "short, simple": ["short, simple", "brief, plain", "short and simple", "clear, short"],
    "summary": ["summary", "overview", "guide"],
    "long document": ["long document", "lengthy document", "huge booklet", "pile of paperwork"],
    "maximum timescales": ["maximum timescales", "time limits", "deadlines"],
    "responding to": ["responding to", "dealing with", "answering"],
    "feedback": ["feedback", "an answer", "a response"],
    "in a form": ["in a form", "in a way", "in language"],
    "understands": ["understands", "can follow", "can understand"],
    "disappointed": ["disappointed", "sorry", "frustrated"],
    "accessible version": ["accessible version", "easy-read version", "child-friendly version"],
    "at launch": ["at launch", "from the start", "when it opened"],
    "available": ["available", "published", "provided"],
    "trust": ["trust", "confide in", "open up to"],
    "part of": ["part of", "one of", "attached to"],
    "learning disabilities": ["learning disabilities", "learning difficulties", "SEND"],
    "sight loss": ["sight loss", "visual impairment", "poor eyesight"],
    "conflict of interest": ["conflict of interest", "clash of interests", "conflict"],
    "obvious": ["obvious", "clear", "glaring"],
    "challenge": ["challenge", "question", "push back against"],
    "manages": ["manages", "line-manages", "supervises"],
    "wages": ["wages", "salary", "pay"],
    "commissioned": ["commissioned", "funded", "bought"],
    "nationally or regionally": ["nationally or regionally", "at national or regional level", "regionally or nationally"],
    "non-verbal": ["non-verbal", "nonverbal", "unable to speak"],
    "communicates": ["communicates", "expresses"],
    "decides": ["decides", "works out", "figures out"],
    "automatically": ["automatically", "by default", "as standard"],
    "stops being seen as": ["stops being seen as", "is no longer seen as", "stops looking like"],
    "external commissioning": ["external commissioning", "outsourcing", "commissioning from outside"],
    "the only route": ["the only route", "the only way", "the sole path"],
    "governance and culture": ["governance and culture", "culture and governance", "leadership and culture"],
    "do not accept": ["do not accept", "do not agree", "reject the idea"],
    "recognised approaches": ["recognised approaches", "established methods", "tested models"],
    "keep": ["keep", "retain", "hold on to"],
    "the most important part": ["the most important part", "the heart of it", "the best bit"],
    "opt-out offer": ["opt-out offer", "active offer", "opt-out approach"],
    "reiterate": ["reiterate", "repeat", "restate"],
    "strong support": ["strong support", "firm backing", "full support"],
    "overall": ["overall", "on the whole", "broadly"],
    "improvement": ["improvement", "step forward", "advance"],
    "updated": ["updated", "revised", "refreshed"],
    "long overdue": ["long overdue", "overdue", "needed for years"],
    "glad": ["glad", "pleased", "happy"],
    "does not define": ["does not define", "fails to define", "never defines"],
    "draft standard": ["draft standard", "proposed standard", "current draft"],
    "covers": ["covers", "includes", "addresses"],
    "access to records": ["access to records", "records access", "who sees the records"],
    "repeatedly": ["repeatedly", "consistently", "time and again"],
    "judge": ["judge", "assess", "measure"],
    "who employs them": ["who employs them", "who pays them", "their employer"],
    "service leaflet": ["service leaflet", "leaflet", "publicity"],
    "default": ["default", "norm", "standard"],
    "takes away": ["takes away", "removes", "gets rid of"],
    "stigma": ["stigma", "shame", "embarrassment"],
    "asking for": ["asking for", "requesting"],
    "say no": ["say no", "refuse", "decline"],
    "pushed into": ["pushed into", "pressured into", "forced into"],
    "concerns": ["concerns", "worries", "issues"],
    "raise concerns": ["raise concerns", "flag concerns", "voice concerns"],
    "route of escalation": ["route of escalation", "escalation route", "path for escalation"],
    "local resolution": ["local resolution", "resolving things locally", "the local process"],
    "has failed": ["has failed", "has not worked", "has broken down"],
    "defined and resourced": ["defined and resourced", "resourced and defined", "set out and funded"],
    "the Children's Commissioner": ["the Children's Commissioner", "the Commissioner", "the Children's Commissioner for England"],
    "normalises": ["normalises", "makes normal", "mainstreams"],
    "broken down": ["broken down", "split", "disaggregated"],
    "job": ["job", "responsibility", "task"],
}
# Context in which a word must not be swapped (the meaning or grammar would break).
_BEFORE = {"many": r"(?<!how )(?<!too )(?<!so )(?<!as )", "enough": r"(?<!good )(?<!old )",
           "because": r"(?<!just )", "start": r"(?<=the )"}
_AFTER = {"a child": r"(?! protection)", "the child": r"(?! protection)", "should": r"(?! not|n't)",
          "many": r"(?! of)", "worry": r"(?! about)", "because": r"(?! of)",
          "in care": r"(?! proceedings| planning| home)"}
_SYN_RE = re.compile(
    "|".join(_BEFORE.get(k, "") + r"(?<![\w'-])" + re.escape(k) + r"(?![\w'-])" + _AFTER.get(k, "")
             for k in sorted(SYNONYMS, key=lambda k: (-len(k), k))),
    re.IGNORECASE)
INFORMAL = {"kids", "kid", "a kid", "the kid", "gonna", "loads of", "stuff", "cash", "SW", "SWs", "dont", "info",
            "so", "kids and young people", "their council", "I reckon", "fast"}
_SYN_LOWER = {k.lower(): v for k, v in SYNONYMS.items()}
P_SYN = {"yp": 0.7, "parent": 0.7, "foster": 0.7, "advocate": 0.7, "sw": 0.7, "prof": 0.7, "org": 0.7}

# Frames around a declarative point: {s} is the point without its final stop.
FRAMES = {
    "ind": ["I think {s}.", "I really think {s}.", "Honestly, {s}.", "To be honest, {s}.", "For me, {s}.",
            "The way I see it, {s}.", "I'd argue {s}.", "My view is that {s}.", "It seems to me that {s}.",
            "I strongly believe {s}.", "{S}, in my view.", "{S}, I think.", "{S} - simple as that.",
            "{S}, and I feel strongly about that.", "I'm convinced {s}.", "I genuinely feel {s}.",
            "{S}, from what I've seen.", "What I'd say is {s}.", "I suppose {s}.", "{S}, in my experience.",
            "I do believe {s}.", "Put simply, {s}.", "The main thing for me is that {s}.",
            "{S}. That's my honest opinion.", "I'd just say {s}.", "Surely {s}?", "I have to say {s}."],
    "yp": ["i think {s}", "tbh {s}", "honestly {s}", "{s} tbh", "{s} imo", "like {s}", "{s} thats it really",
           "basically {s}", "{s} if that makes sense", "i reckon {s}", "yeah {s}", "{s} and thats the truth",
           "{s} lol", "ngl {s}", "idk {s}", "{s}!!", "i feel like {s}", "{s} tho", "the thing is {s}", "{s}."],
    "org": ["We believe {s}.", "It is our view that {s}.", "We would argue that {s}.", "Our position is that {s}.",
            "We are clear that {s}.", "Our experience is that {s}.", "We would emphasise that {s}.",
            "{S}, in our experience.", "{S}; this is borne out by our casework.", "{S}, as our young advisers told us.",
            "We consider that {s}.", "On balance, {s}.", "Our members report that {s}.", "We note that {s}.",
            "{S}, and we would urge the Department to reflect this.", "It is important to recognise that {s}.",
            "Evidence from our services suggests {s}.", "{S}, in the view of our practitioners.",
            "We would stress that {s}.", "In short, {s}."],
}
REASON_JOINS = [" ", " ", " - ", ", because ", ", and ", "; ", ". After all, ", ". Frankly, ", ". The reality is ",
                ". In practice ", " and honestly "]
TAILS = {"yp": [" tbh", " imo", " idk", " lol", " thats all", ""],
         "ind": [", if that makes sense", ", to be honest", ", frankly", ", in my experience",
                 ", from what I've seen", " - that's my experience anyway", " as far as I can see"],
         "org": [", in our experience", ", as our casework shows", ", in our view"]}

YP_SETTINGS = ["a childrens home", "foster care", "semi independent", "kinship care with my nan", "a secure unit",
               "residential school", "supported lodgings", "a hostel", "care", "foster care with my aunt",
               "a placement out of area", "hospital"]
YP_AGES = list(range(8, 18))
DURATIONS = ["a few months", "six months", "a year", "about a year", "18 months", "two years", "three years",
             "four years", "five years", "most of my life", "nearly a decade", "ten years", "over a year"]
ROLES = ["designated teacher", "IRO", "school nurse", "youth worker", "CAMHS clinician", "solicitor",
         "residential support worker", "youth justice worker", "health visitor", "paediatrician", "SENCO",
         "family support worker", "children's home manager", "personal adviser", "virtual school head",
         "team manager", "participation officer", "therapist", "GP", "police officer", "magistrate",
         "teaching assistant", "play therapist", "speech and language therapist"]
AREAS = ["a large county", "a small unitary", "a London borough", "a rural authority", "a northern city",
         "a metropolitan borough", "the Midlands", "the South West", "a coastal town", "an inner-city area"]
PARENT_ROLES = ["mum", "dad", "parent", "grandparent", "grandmother", "step-parent", "mother", "father",
                "special guardian", "adoptive parent", "kinship carer", "nan"]
PARENT_OF = ["", "", " of two", " of three", " of a child in care", " of a disabled teenager",
             " whose son was in care", " whose daughter is autistic", " of a child with complex needs",
             " of a care leaver", " of a boy on a child protection plan", " of twins"]
TIME_AGO = ["last year", "a couple of years ago", "in 2021", "in 2020", "recently", "back in 2019",
            "a few months ago", "in 2022", "earlier this year", "when it all started"]


def _n(rng: random.Random, lo: int, hi: int) -> str:
    return str(rng.randint(lo, hi))


def role_intro(rng: random.Random, voice: str) -> str:
    """An opening that says who is speaking, e.g. 'As a youth worker in a rural authority for 7 years, '."""
    if voice == "yp":
        return rng.choice(["as a young person in care, ", "from my experience ", f"as someone whos {rng.choice(YP_AGES) + 2}, ",
                           f"im in {rng.choice(YP_SETTINGS)} and ", "as a care leaver ", ""])
    if voice in ("parent",):
        return f"As a {rng.choice(PARENT_ROLES)}{rng.choice(PARENT_OF)}, "
    if voice == "foster":
        return rng.choice([f"As a foster carer of {_n(rng, 2, 30)} years, ", "As a foster carer, ",
                           f"Having fostered {rng.choice(['teenagers', 'babies', 'sibling groups', 'disabled children', 'unaccompanied children'])} for {rng.choice(DURATIONS)}, ",
                           f"As a {rng.choice(['kinship', 'short-break', 'respite', 'long-term', 'emergency'])} carer, ",
                           "Speaking as a foster carer, "])
    if voice == "advocate":
        return rng.choice([f"As an advocate for {_n(rng, 2, 25)} years, ", f"As an advocate in {rng.choice(AREAS)}, ",
                           f"In my work as a {rng.choice(['children’s', 'independent', 'non-instructed', 'secure-settings', 'mental health'])} advocate, ",
                           "From my practice, ", f"Having worked as an advocate in {rng.choice(AREAS)} for {_n(rng, 2, 20)} years, "])
    if voice == "sw":
        return rng.choice([f"As a social worker in {rng.choice(AREAS)}, ", f"As a social worker of {_n(rng, 2, 30)} years, ",
                           f"Speaking as a {rng.choice(['children in care', 'child protection', 'leaving care', 'disabled children', 'duty', 'fostering'])} social worker, ",
                           "In my experience as a social worker, "])
    if voice == "prof":
        tail = rng.choice(["", f" in {rng.choice(AREAS)}", f" for {_n(rng, 2, 30)} years"])
        return f"As a {rng.choice(ROLES)}{tail}, "
    return rng.choice(["From our work with children, ", f"From our work in {rng.choice(AREAS)}, ",
                       f"Drawing on {_n(rng, 5, 40)} years of practice, ", "In our view, ", "Our experience is that "])


def anecdote(rng: random.Random, voice: str) -> str:
    """A context sentence with made-up specifics; it makes no point, so it has no code."""
    if voice == "yp":
        return rng.choice([
            f"i was in {rng.choice(YP_SETTINGS)} for {rng.choice(DURATIONS)}.",
            f"when i was {rng.choice(YP_AGES)} i got moved {_n(rng, 2, 9)} times.",
            f"ive had {_n(rng, 3, 12)} social workers in {_n(rng, 2, 6)} years.",
            f"Im {rng.choice(YP_AGES) + 2} and been in {rng.choice(YP_SETTINGS)} since i was {rng.choice(YP_AGES) - 3}.",
            f"i had an advocate {rng.choice(TIME_AGO)} and it was {rng.choice(['ok', 'good', 'rubbish', 'alright', 'the best thing'])}."])
    if voice in ("parent", "foster"):
        who = rng.choice(["My son", "My daughter", "Our foster son", "Our foster daughter", "My grandson",
                          "My niece", "My eldest", "Our youngest"])
        return rng.choice([
            f"{who} was in {rng.choice(['foster care', 'residential care', 'a secure unit', 'hospital', 'kinship care'])} for {rng.choice(DURATIONS)}.",
            f"{who} had {_n(rng, 3, 9)} social workers in {_n(rng, 1, 4)} years.",
            f"We went through {rng.choice(['child protection', 'care proceedings', 'an EHCP tribunal', 'a school exclusion', 'a placement breakdown'])} {rng.choice(TIME_AGO)}.",
            f"{who} is {_n(rng, 4, 17)} and {rng.choice(['autistic', 'non-verbal', 'has ADHD', 'has a learning disability', 'in care', 'doing well now'])}.",
            f"I've looked after {_n(rng, 3, 40)} children over {rng.choice(DURATIONS)}."])
    if voice == "org":
        return rng.choice([
            f"In {rng.choice(['2021-22', '2022-23', 'the last year', 'the past two years'])} we supported {_n(rng, 120, 4800)} children across {_n(rng, 2, 14)} local authorities.",
            f"Our young people's panel of {_n(rng, 6, 30)} members discussed this question {rng.choice(TIME_AGO)}.",
            f"We consulted {_n(rng, 15, 400)} children and young people before writing this response.",
            f"Around {_n(rng, 10, 70)}% of the children we work with {rng.choice(['are in residential care', 'are placed out of area', 'have a disability', 'are on child protection plans', 'are aged 11 to 15'])}."])
    return rng.choice([
        f"I've seen this {rng.choice(['many times', 'again and again', 'more than once', 'far too often', 'a handful of times'])} in the last {rng.choice(DURATIONS)}.",
        f"Last {rng.choice(['month', 'week', 'year', 'term', 'winter'])} I worked with a {_n(rng, 6, 17)}-year-old who {rng.choice(['had no idea what was happening', 'was moved without warning', 'wanted to complain but did not know how', 'was never asked what they thought', 'waited weeks for help'])}.",
        f"In {rng.choice(AREAS)}, where I work, {rng.choice(['this is a daily issue', 'things are stretched', 'caseloads are huge', 'there is one provider for everyone'])}.",
        f"I have {_n(rng, 2, 30)} years in {rng.choice(['children’s services', 'education', 'health', 'youth work', 'the voluntary sector'])}."])


def _match_case(src: str, rep: str) -> str:
    if rep and src[:1].isupper() and not src.isupper() and rep[:1].islower():
        return rep[0].upper() + rep[1:]
    return rep


def fix_articles(s: str) -> str:
    """'a extra' -> 'an extra', 'an big' -> 'a big', 'a LA' -> 'an LA'."""
    s = re.sub(r"\b([Aa]) (?=(?:[aeio]|u(?!s|n[ie]))\w|LA\b|LAs\b|SW\b|IRO\b)", r"\1n ", s)
    return re.sub(r"\b([Aa])n (?=[bcdfgjklmnpqrstvwyz]\w)", r"\1 ", s)


def vary_words(rng: random.Random, s: str, p: float, formal: bool = False) -> str:
    """s with some words and phrases swapped for interchangeable ones."""
    def sub(m: re.Match) -> str:
        src = m.group(0)
        if src.isupper() and len(src) > 1 or rng.random() >= p:
            return src
        alts = [a for a in dict.fromkeys(_SYN_LOWER[src.lower()])
                if a.lower() != src.lower() and not (formal and a in INFORMAL)] or [src]
        return _match_case(src, rng.choice(alts))
    out = fix_articles(_SYN_RE.sub(sub, s))
    out = re.sub(r"  +", " ", out).replace(" ,", ",").replace(" .", ".").strip()
    return out[0].upper() + out[1:] if s[:1].isupper() and out else out


_AUX = re.compile(r"\b(should|must|would|will|can|could|need to|needs to|has to|have to|is|are|was|were)\b (?!not|n't|it|they|there|we|you|I|he|she|a |an |the )")
ADVERBS = {"modal": ["really", "definitely", "certainly", "probably", "always", "genuinely", "surely", "clearly",
                     "honestly", "absolutely", "realistically"],
           "be": ["really", "often", "clearly", "definitely", "genuinely", "usually", "obviously", "simply",
                  "frequently", "sometimes", "arguably"]}


def insert_adverbs(rng: random.Random, s: str, p: float) -> str:
    """s with a few hedging adverbs after its auxiliary verbs ('should really', 'are often')."""
    def sub(m: re.Match) -> str:
        if rng.random() >= p:
            return m.group(0)
        kind = "be" if m.group(1) in ("is", "are", "was", "were") else "modal"
        return f"{m.group(1)} {rng.choice(ADVERBS[kind])} "
    return _AUX.sub(sub, s)


YP_FILLERS = ["like", "literally", "actually", "honestly", "kind of", "just", "basically", "really", "like proper"]


def insert_fillers(rng: random.Random, s: str, n: int) -> str:
    """A young person's fillers ('like', 'literally') dropped in between words."""
    words = s.split(" ")
    for _ in range(n):
        if len(words) > 4:
            i = rng.randrange(2, len(words) - 1)
            words.insert(i, rng.choice(YP_FILLERS))
    return " ".join(words)


def reshape(rng: random.Random, s: str) -> str:
    """Split a long sentence at a semicolon or drop a trailing clause, as people do when they paraphrase."""
    if "; " in s and rng.random() < 0.5:
        a, b = s.split("; ", 1)
        return end_stop(a) + " " + b[0].upper() + b[1:]
    m = re.search(r", (which|so that|as|provided|whether|especially|including|not only|and) [^,;]+[.!]?$", s)
    if m and len(s[:m.start()].split()) >= 8 and rng.random() < 0.5:
        return s[:m.start()] + "."
    return s


def _bare(s: str) -> str:
    return s.rstrip().rstrip(".!")


def swap_clauses(s: str) -> str:
    """'A because B.' -> 'Because B, A.' when that reads naturally."""
    m = re.fullmatch(r"([^,;]+?),? (because|if|when|unless|so that) ([^,;]+?)([.!]?)", s.strip())
    if not m or m.group(2) == "so that" or len(m.group(1).split()) < 4:
        return s
    a, conj, b, stop = m.groups()
    return f"{conj.capitalize()} {b}, {lc_first(a)}{stop or '.'}"


def framed(rng: random.Random, s: str, voice: str) -> str:
    """s wrapped in a stance frame or hedge that suits the voice."""
    kind = "org" if voice == "org" else "yp" if voice == "yp" else "ind"
    if s.rstrip().endswith("?") or s.count(". ") > 0:
        return s
    frames = FRAMES[kind]
    if s.startswith(IMPERATIVE):  # only frames that come after the point
        frames = [f for f in frames if f.startswith(("{S}", "{s}"))]
    f = rng.choice(frames)
    body = _bare(s)
    if "{S}" in f:
        return f.replace("{S}", body)
    return f.replace("{s}", lc_first(body))


def specifics(rng: random.Random, voice: str) -> str:
    """A short clause with made-up particulars (a time, a place, a number) to hang on the end of a point."""
    if voice == "yp":
        return rng.choice([f" - happened to me when i was {rng.choice(YP_AGES)}", f" like when i was in {rng.choice(YP_SETTINGS)}",
                           f" (im {rng.choice(YP_AGES) + 2})", f" trust me ive been in care {rng.choice(DURATIONS)}",
                           f" and my mate in {rng.choice(YP_SETTINGS)} says the same", f" ive seen it {_n(rng, 2, 9)} times"])
    if voice == "org":
        return rng.choice([f" (in {rng.choice(['2021', '2022', '2023', 'the last year'])}, {_n(rng, 12, 88)}% of the children we supported told us this)",
                           f", as {_n(rng, 3, 25)} of our young advisers told us", f", a point raised at {_n(rng, 2, 12)} of our {_n(rng, 12, 20)} engagement sessions",
                           f" - a view shared across our {_n(rng, 3, 30)} local partnerships", f", particularly in {rng.choice(AREAS)}",
                           f" (see our {rng.choice(['2021', '2022', '2023'])} {rng.choice(['annual report', 'practice review', 'survey of care leavers', 'impact report'])})"])
    return rng.choice([f" - I saw this {rng.choice(TIME_AGO)}", f" (I've seen it happen {_n(rng, 2, 20)} times)",
                       f", especially in {rng.choice(AREAS)}", f", even for a {_n(rng, 5, 17)}-year-old",
                       f" - we had {_n(rng, 2, 12)} cases like this {rng.choice(TIME_AGO)}",
                       f", and I say that after {_n(rng, 2, 30)} years of {rng.choice(['this work', 'fostering', 'caring', 'working with children', 'being a parent'])}",
                       f", whether they are {_n(rng, 4, 9)} or {_n(rng, 10, 17)}", f" where I live in {rng.choice(AREAS)}",
                       f", as I found out {rng.choice(TIME_AGO)}"])


def render_point(rng: random.Random, code: Code, voice: str, allow_more: bool = True) -> str:
    """One point of code, in one of thousands of wordings."""
    s = vary_words(rng, sentence_for(rng, code, voice), P_SYN[voice], voice == "org")
    s = insert_adverbs(rng, reshape(rng, s), 0.35)
    if voice == "yp" and rng.random() < 0.5:
        s = insert_fillers(rng, s, rng.randint(1, 2))
    if rng.random() < 0.25:
        s = swap_clauses(s)
    if rng.random() < (0.55 if voice == "org" else 0.65):
        s = framed(rng, s, voice)
    if allow_more and code.more and rng.random() < P_MORE[voice] + 0.15:
        more = vary_words(rng, rng.choice(code.more), P_SYN[voice], voice == "org")
        join = rng.choice(REASON_JOINS)
        s = end_stop(s) + " " + more if not join.strip() else _bare(s) + join + lc_first(more)
    if rng.random() < 0.7 and not s.rstrip().endswith("?"):
        stop = "" if voice == "yp" else "."
        s = _bare(s) + specifics(rng, voice) + stop
    elif rng.random() < 0.15 and not s.rstrip().endswith("?"):
        tail = rng.choice(TAILS["org" if voice == "org" else "yp" if voice == "yp" else "ind"])
        s = _bare(s) + tail + ("" if voice == "yp" else ".")
    return s


def vary_text(rng: random.Random, text: str, voice: str = "org") -> str:
    """A longer passage with its words varied (used for the long submissions)."""
    return insert_adverbs(rng, vary_words(rng, text, P_SYN[voice], voice == "org"), 0.2)


def compose(rng: random.Random, q: Question, stance: str | None, voice: str, org: str = "",
            n_points: int | None = None, allow_more: bool = True, lead: bool = True) -> tuple[str, list[str]]:
    """A free-text answer to q in the given voice, and the codes of the points it makes."""
    if n_points is None:
        n_points = rng.choices(range(1, len(N_POINTS[voice]) + 1), weights=N_POINTS[voice])[0]
    codes = weighted_sample(rng, q.codes, [code_weight(c, stance) for c in q.codes], n_points)
    parts = []
    for k, code in enumerate(codes):
        s = render_point(rng, code, voice, allow_more)
        if s.startswith(IMPERATIVE):
            pass  # "As a parent, give councils..." would not be English
        elif k == 0:
            opener = role_intro(rng, voice) if rng.random() < 0.3 else rng.choice(OPENERS[voice])
            s = opener + lc_first(s) if opener else s
        else:
            conn = rng.choice(ORG_CONNECTORS if voice == "org" else CONNECTORS)
            s = conn + lc_first(s) if conn else s
        parts.append(s)
    if rng.random() < (0.2 if voice == "org" else 0.3):  # some context of one's own
        parts.insert(0 if rng.random() < 0.6 else len(parts), anecdote(rng, voice))
    # Every part but the last ends a sentence; young people often drop the last full stop.
    parts = [end_stop(p) for p in parts[:-1]] + parts[-1:]
    if voice == "org":
        style = rng.random()
        if style < 0.15 and len(parts) > 1:
            text = "\n".join(f"{i}. {p}" for i, p in enumerate(parts, 1))
        else:
            text = ("\n\n" if style < 0.6 else " ").join(parts)
        if lead and stance and rng.random() < 0.5:
            text = rng.choice(ORG_LEADS[stance]).format(org=org or "We") + ("\n\n" if "\n" in text else " ") + text
        return text, [c.id for c in codes]
    r = rng.random()
    text = (" " if r < 0.85 else "\n" if r < 0.95 else "\n\n").join(parts)
    if lead and stance and rng.random() < 0.3:
        text = rng.choice(LEADS[stance]) + " " + text
    if voice == "yp":
        if rng.random() < 0.4:
            text = text.lower()
        if rng.random() < 0.3:
            text = text.replace("'", "").replace("’", "")
        if rng.random() < 0.35:
            text = add_typos(rng, text, rng.randint(1, 3))
    else:
        if rng.random() < 0.04:
            text = text.lower()
        if rng.random() < 0.15:
            text = add_typos(rng, text, rng.randint(1, 2))
    return text, [c.id for c in codes]


def campaign_copy(rng: random.Random, letter, q: Question, stance: str, voice: str) -> tuple[str, list[str]]:
    """One respondent's copy of a form letter: exact, lightly edited, or with a personal paragraph."""
    sents = list(letter)
    r = rng.random()
    edited = 0.45 <= r < 0.75 or (r >= 0.75 and rng.random() < 0.3)
    if edited and rng.random() < 0.35:
        del sents[rng.randrange(1, len(sents))]
    text = " ".join(s for s, _ in sents)
    codes = [c for _, c in sents if c]
    if edited:
        for a, b in rng.sample(CAMPAIGN_EDITS, rng.randint(1, 3)):
            text = text.replace(a, b, 1)
        if rng.random() < 0.25:
            first, rest = text.split(".", 1)
            text = first + "." + add_typos(rng, rest, 1)
    if r >= 0.75:
        own, own_codes = compose(rng, q, stance, voice, n_points=1, allow_more=rng.random() < 0.5, lead=False)
        if rng.random() < 0.6:
            own = join_sentences(rng.choice(PERSONAL[voice]) if rng.random() < 0.4 else anecdote(rng, voice), own)
        sep = rng.choice(["\n\n", " ", "\n"])
        text = join_sentences(own, text, sep) if rng.random() < 0.5 else join_sentences(text, own, sep)
        codes = codes + [c for c in own_codes if c not in codes]
    return text, codes


def off_topic(rng: random.Random) -> str:
    """An answer that is not about the question, reworded."""
    text = vary_words(rng, rng.choice(OFF_TOPIC), 0.7)
    if rng.random() < 0.5:
        text = _bare(text) + rng.choice([", sorry.", " to be honest.", "!", "...", " - just saying.",
                                         ", and nobody seems to care.", " again.", " as usual."])
    if rng.random() < 0.4:
        text = rng.choice(["Also ", "Anyway, ", "Sorry but ", "Just to say, ", "Off topic but ", "Random but "]) + lc_first(text)
    return text


def code_by_id(q: Question, cid: str) -> Code:
    return next(c for c in q.codes if c.id == cid)


def long_submission(rng: random.Random, org: str, group: str, stances: dict[str, str]) -> tuple[str, list[str]]:
    """A detailed organisational submission of well over 3,000 words, pasted into q11."""
    q11 = QUESTIONS[-1]
    themes = ["welcome-revision"]
    about = {
        "Advocacy provider": f"{org} is an independent advocacy provider. We hold contracts with several local authorities and support children in care, care leavers, children subject to child protection plans and children in secure and health settings.",
        "Charity or voluntary organisation": f"{org} is a charity working with children and young people with experience of care. Our young people's panel met three times to discuss this consultation and their views run throughout this response.",
        "Local authority": f"This is the response of {org}, prepared by the children's services directorate with input from our Children in Care Council, our in-house participation team and our commissioned advocacy provider.",
    }[group]
    paras = [f"Response of {org} to the consultation on revised National Standards for children's and young people's advocacy services",
             "About us", about,
             "We have structured our response around the consultation questions. Where we make recommendations they are numbered so that the Department can refer to them easily.",
             "Summary",
             code_by_id(q11, "welcome-revision").pro[0] + " " + code_by_id(q11, "welcome-revision").more[0]
             + " We set out below where we agree with the proposals, where we have concerns, and what we believe the final standards must include if they are to make a real difference to children."]
    quote_frames = ["One person we spoke to said: \"{s}\"", "We heard this again and again: \"{s}\"",
                    "As one carer put it, \"{s}\"", "A practitioner in our network told us: \"{s}\""]
    rec_frames = ["Recommendation {n}: the Department should test the final wording of this standard with children and young people before publication.",
                  "Recommendation {n}: statutory guidance should include practice examples for this standard, developed with children and advocates.",
                  "Recommendation {n}: the Department should set out how compliance with this standard will be monitored and reported.",
                  "Recommendation {n}: the final standard should say what a child can expect, in plain language, before it says what services must do."]
    for n, q in enumerate(QUESTIONS[:8], 1):
        stance = stances[q.id]
        paras.append(f"{n}. {q.title} (Question {n})")
        paras.append(ORG_LEADS[stance][0].format(org=org) + " " + q.text.replace("Do you agree that ", "The proposal is that ").rstrip("?") + ".")
        codes = [c for c in q.codes if code_weight(c, stance) >= 2]
        rng.shuffle(codes)
        codes = codes[:4]
        for code in codes:
            body = list(code.pro)
            rng.shuffle(body)
            body += [s for s in code.more if rng.random() < 0.8]
            if rng.random() < 0.7:
                body.append(rng.choice(quote_frames).format(s=rng.choice(code.gen)))
            paras.append(" ".join(body))
        if rng.random() < 0.75:
            paras.append(rng.choice(rec_frames).format(n=n))
        themes.append(SECTION_THEME[q.id])
        if q.id == "q8" and any(c.id in ("sufficiency-and-waiting-lists", "funding-needed") for c in codes):
            themes.append("funding-and-sufficiency")
    paras.append("9. Other matters")
    q10 = QUESTIONS[9]
    for cid in ("statutory-footing", "inspection-ofsted"):
        c = code_by_id(q10, cid)
        paras.append(" ".join(c.pro + c.more + [rng.choice(c.gen)]))
    themes.append("data-and-accountability")
    paras.append("10. Implementation and funding")
    for cid in ("implementation-and-timescale", "funding-and-sufficiency", "workforce-and-training"):
        c = code_by_id(q11, cid)
        paras.append(" ".join(c.pro + c.more + c.gen))
        themes.append(cid)
    paras.append("Annex: what children, young people and families told us")
    paras.append("The following comments were made by children, young people, parents and carers during our engagement sessions. They are reproduced with permission and without identifying details.")
    pool = [(q, c, s, f"young person, {rng.randint(11, 19)}") for q in QUESTIONS[:8] for c in q.codes for s in c.yp]
    pool += [(q, c, s, rng.choice(["parent", "foster carer", "kinship carer", "care leaver, 19"]))
             for q in QUESTIONS[:8] for c in q.codes for s in c.gen if not s.startswith(("I ", "I'"))]
    rng.shuffle(pool)
    words = sum(len(p.split()) for p in paras)
    for q, c, s, who in pool:
        if words >= 3400:
            break
        line = f"\"{s}\" ({who})"
        paras.append(line)
        words += len(line.split())
        themes.append(SECTION_THEME[q.id])
    paras.append(f"We would be glad to discuss any part of this response with officials. {code_by_id(q11, 'welcome-revision').gen[1]}")
    seen: list[str] = []
    for t in themes:
        if t not in seen:
            seen.append(t)
    # Varied like everyone else's wording, so that no short answer is a verbatim excerpt of it.
    paras = paras[:6] + [vary_text(rng, p) for p in paras[6:]]
    return "\n\n".join(paras), seen


# --------------------------------------------------------------------------
# Building the data set
# --------------------------------------------------------------------------


@dataclass
class Respondent:
    rid: str
    type: str
    org: str
    group: str
    consent: str
    region: str
    closed: dict[str, str] = field(default_factory=dict)
    text: dict[str, str] = field(default_factory=dict)
    codes: dict[str, list[str]] = field(default_factory=dict)
    special: set = field(default_factory=set)  # question ids not to overwrite

    @property
    def voice(self) -> str:
        return "org" if self.type.startswith("On behalf") else VOICE[self.group]


def org_name(rng: random.Random, group: str, used: set[str]) -> str:
    for _ in range(200):
        p, p2 = rng.sample(PLACES, 2)
        name = rng.choice(ORG_PATTERNS[group]).format(P=p, P2=p2, A=rng.choice(ADJ))
        if name not in used:
            used.add(name)
            return name
    # Large samples run out of invented names (a group may have only a few hundred): number them.
    k = 2
    while f"{name} ({k})" in used:
        k += 1
    used.add(f"{name} ({k})")
    return f"{name} ({k})"


def closed_answer(rng: random.Random, qid: str, group: str) -> str:
    w = STANCE_GROUP.get(group, {}).get(qid, STANCE_BASE[qid])
    return rng.choices(AGREE, weights=w)[0]


def normal_answers(rng: random.Random, r: Respondent) -> None:
    """Fill every question of r the way an ordinary respondent would."""
    if rng.random() < 0.01:  # submitted the form with nothing but their details
        return
    voice, is_org = r.voice, r.voice == "org"
    for i, q in enumerate(QUESTIONS):
        if q.id in r.special:
            continue
        stance = None
        if q.kind == "closed":
            if rng.random() < 0.85:
                r.closed[q.id] = rng.choices(q.options, weights=(25, 45, 22, 8))[0]
            continue
        if q.kind == "hybrid":
            if rng.random() < 0.96 - 0.02 * i:
                stance = closed_answer(rng, q.id, r.group)
                r.closed[q.id] = stance
            p_text = (0.92 if is_org else 0.7 if voice == "yp" else 0.8) if stance else 0.1
        else:
            p_text = (0.85 if is_org else 0.55) if q.id == "q10" else (0.8 if is_org else 0.45)
        if rng.random() >= p_text:
            continue
        u = rng.random()
        if u < 0.045:
            r.text[q.id], r.codes[q.id] = rng.choice(NON_SUBSTANTIVE), ["non-substantive"]
        elif u < 0.052 and not is_org:
            r.text[q.id], r.codes[q.id] = off_topic(rng), ["other"]
        else:
            r.text[q.id], r.codes[q.id] = compose(rng, q, stance, voice, r.org)


def plant_personal_data(rng: random.Random, people: list[Respondent], pool: list[int]) -> list[dict]:
    """Insert every PLANTS sentence into one substantive answer of a different respondent."""
    planted, used = [], set()
    for k, (groups, sentence, items) in enumerate(PLANTS):
        want_no = k % 5 == 0  # make sure some refused publication
        cands = [i for i in pool if i not in used
                 and (groups is None or people[i].group in groups)
                 and (people[i].consent == "No") == want_no]
        i = rng.choice(cands)
        used.add(i)
        r = people[i]
        qids = [q.id for q in TEXT_QUESTIONS if q.id in r.text and q.id not in r.special
                and r.codes[q.id] not in (["non-substantive"], ["other"])]
        if not qids:
            q = rng.choice(TEXT_QUESTIONS[:8])
            r.closed.setdefault(q.id, closed_answer(rng, q.id, r.group))
            r.text[q.id], r.codes[q.id] = compose(rng, q, r.closed[q.id], r.voice)
            qids = [q.id]
        qid = rng.choice(qids)
        text = r.text[qid]
        where = rng.random()
        if where < 0.5:
            text = join_sentences(text, sentence)
        elif where < 0.8:
            lead = next((x for x in ALL_LEADS if text.startswith(x + " ")), "")
            text = (lead + " " if lead else "") + join_sentences(sentence, text[len(lead):].lstrip())
        else:
            cut = text.find(". ")
            text = text[:cut + 2] + join_sentences(sentence, text[cut + 2:]) if cut > 0 else join_sentences(text, sentence)
        r.text[qid] = text
        r.special.add(qid)
        for kind, value in items:
            planted.append({"respondent_id": r.rid, "question": qid, "kind": kind, "text": value})
    return planted


def build(seed: int, n: int) -> tuple[list[Respondent], list[dict]]:
    """The whole sample: respondents with answers and true codes, and the planted personal data."""
    rng = random.Random(seed)
    n_org = round(n * 0.12)
    org_idx = set(rng.sample(range(n), n_org))
    used_names: set[str] = set()
    people = []
    for i in range(n):
        is_org = i in org_idx
        group = pick(rng, ORG_GROUPS if is_org else INDIVIDUAL_GROUPS)
        people.append(Respondent(
            rid=f"R{i + 1:04d}",
            type="On behalf of an organisation" if is_org else "As an individual",
            org=org_name(rng, group, used_names) if is_org else "",
            group=group,
            consent="No" if rng.random() < 0.17 else "Yes",
            region=pick(rng, REGIONS + [("Outside England", 1), ("Prefer not to say", 2)])))
    individuals = [i for i in range(n) if i not in org_idx]
    orgs = sorted(org_idx)

    # Special respondents, chosen up front so that they never overlap.
    # Their shares stay those of the default sample at any size (185 + 32 campaign members, 2 Welsh
    # answers and 3 long submissions in 1,720 respondents), so a larger sample scales like a real one.
    scale = n / DEFAULT_RESPONDENTS
    n_a, n_b = round(185 * scale), round(32 * scale)
    n_welsh, n_long = max(2, round(2 * scale)), max(3, round(3 * scale))
    shuffled = individuals[:]
    rng.shuffle(shuffled)
    camp_a, camp_b = shuffled[:n_a], shuffled[n_a:n_a + n_b]
    welsh, html = shuffled[n_a + n_b:n_a + n_b + n_welsh], shuffled[n_a + n_b + n_welsh]
    ordinary = sorted(shuffled[n_a + n_b + n_welsh + 1:])
    long_orgs: list[int] = []
    long_groups = ("Advocacy provider", "Charity or voluntary organisation", "Local authority")
    for k in range(n_long):
        group = long_groups[k % 3]
        long_orgs.append(next(i for i in orgs if people[i].group == group and i not in long_orgs))

    for r in people:
        normal_answers(rng, r)

    q1, q4 = QUESTIONS[0], QUESTIONS[3]
    for members, letter, q, stance in ((camp_a, CAMPAIGN_A, q1, "Agree"), (camp_b, CAMPAIGN_B, q4, "Disagree")):
        for i in sorted(members):
            r = people[i]
            if rng.random() < 0.55:  # campaign members often answer nothing else
                r.closed.clear(), r.text.clear(), r.codes.clear()
            r.closed[q.id] = stance if rng.random() < 0.95 else ""
            r.text[q.id], r.codes[q.id] = campaign_copy(rng, letter, q, stance, r.voice)
            r.special.add(q.id)

    long_stances = [
        {q.id: "Agree" for q in QUESTIONS[:8]},
        {**{q.id: "Agree" for q in QUESTIONS[:8]}, "q4": "Not sure"},
        {"q1": "Not sure", "q2": "Disagree", "q3": "Agree", "q4": "Agree", "q5": "Not sure", "q6": "Agree",
         "q7": "Not sure", "q8": "Disagree"},
    ]
    for i, stances in zip(long_orgs, itertools.cycle(long_stances)):
        r = people[i]
        r.closed.update(stances)
        for q in QUESTIONS[:8]:
            r.text[q.id] = rng.choice(["Please see our full response under question 11.",
                                       "See our detailed submission in the final comments box.",
                                       "Please refer to our full written response below."])
            r.codes[q.id] = ["non-substantive"]
        r.text["q11"], r.codes["q11"] = long_submission(rng, r.org, r.group, stances)
        r.special.update(q.id for q in TEXT_QUESTIONS)

    for i, (qid, stance, text, codes) in zip(welsh, itertools.cycle(WELSH)):
        r = people[i]
        r.region = "Outside England"
        if stance:
            r.closed[qid] = stance
        r.text[qid], r.codes[qid] = text, codes
        r.special.add(qid)
    qid, text, codes = HTMLISH
    people[html].text[qid], people[html].codes[qid] = text, codes
    people[html].special.add(qid)

    planted = plant_personal_data(rng, people, ordinary)
    return people, planted


# --------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------


def header() -> list[str]:
    cols = ["Respondent ID", "Responding as", "Organisation name", "Which best describes you?",
            "May we publish your response?", "Region"]
    for q in QUESTIONS:
        cols += [c for c in (q.closed_column, q.text_column) if c]
    return cols


def csv_text(rows: list[list[str]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerows(rows)
    return buf.getvalue()


def responses_csv(people: list[Respondent]) -> str:
    rows = [header()]
    for r in people:
        row = [r.rid, r.type, r.org, r.group, r.consent, r.region]
        for q in QUESTIONS:
            if q.closed_column:
                row.append(r.closed.get(q.id, ""))
            if q.text_column:
                row.append(r.text.get(q.id, ""))
        rows.append(row)
    return csv_text(rows)


def gold_csv(people: list[Respondent]) -> str:
    rows = [["respondent_id", "question", "code"]]
    for r in people:
        for q in TEXT_QUESTIONS:
            if r.text.get(q.id, "").strip():
                seen = []
                for c in r.codes.get(q.id) or ["other"]:
                    if c not in seen:
                        seen.append(c)
                rows += [[r.rid, q.id, c] for c in seen]
    return csv_text(rows)


def yq(s: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(s, ensure_ascii=False)


def _key(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.casefold().replace("'", "").replace("’", "")).split())


def example_phrasing(q: Question, code: Code, bank: str, k: int, seen: set[str]) -> str:
    """A coder's example of code: a fresh wording of one of its phrasings, found in no answer."""
    rng = random.Random(f"codebook:{q.id}:{code.id}:{bank}:{k}")
    phrasings = getattr(code, bank) or code.gen
    voice = {"gen": "parent", "yp": "yp", "pro": "org"}[bank]
    for _ in range(200):
        s = vary_words(rng, phrasings[k % len(phrasings)], 0.9, voice == "org")
        s = framed(rng, insert_adverbs(rng, s, 0.5), voice)
        if voice != "yp":
            s = end_stop(s[0].upper() + s[1:])
        if _key(s) not in seen and _key(s) != _key(phrasings[k % len(phrasings)]):
            return s
    raise RuntimeError(f"no fresh example for {q.id}/{code.id}")


def codebook_yaml(q: Question, seen: set[str]) -> str:
    lines = ["# Human codebook for the illustrative advocacy-standards sample (not real responses).",
             "# Written with responses/advocacy-standards/generate.py --codebooks; gold-codes.csv uses these ids.",
             "# The examples are phrasings of their own: none is copied from an answer.",
             f"# {q.text}", f"question: {q.id}", f"title: {yq(q.title)}", "codes:"]
    for c in q.codes:
        near = code_by_id(q, c.near)
        examples = [example_phrasing(q, c, bank, 0, seen) for bank in ("gen", "yp", "pro")]
        counter = example_phrasing(q, near, "gen", 1, seen)
        lines += [f"  - id: {c.id}", f"    label: {yq(c.label)}", f"    description: {yq(c.description)}",
                  "    examples:"] + [f"      - {yq(e)}" for e in examples]
        lines += ["    counter_examples:", f"      - {yq(counter)}"]
    return "\n".join(lines) + "\n"


def write(out: Path, seed: int, n: int) -> list[Respondent]:
    people, planted = build(seed, n)
    out.mkdir(parents=True, exist_ok=True)
    (out / "responses.csv").write_text(responses_csv(people), encoding="utf-8", newline="")
    (out / "gold-codes.csv").write_text(gold_csv(people), encoding="utf-8", newline="")
    (out / "planted-personal-data.json").write_text(
        json.dumps(planted, indent=2, ensure_ascii=False) + "\n", encoding="utf-8", newline="")
    return people


def write_codebooks(folder: Path, people: list[Respondent]) -> None:
    """One codebook YAML per question, with examples that appear in none of people's answers."""
    # Every answer and every sentence of every answer, compared without case or punctuation.
    seen = {_key(p) for r in people for t in r.text.values() for p in [t, *re.split(r"[.!?\n]+", t)]}
    folder.mkdir(parents=True, exist_ok=True)
    for q in TEXT_QUESTIONS:
        (folder / f"{q.id}.yaml").write_text(codebook_yaml(q, seen), encoding="utf-8", newline="")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    ap.add_argument("--out", type=Path, default=HERE, help="output folder (default: this script's folder)")
    ap.add_argument("--respondents", type=int, default=DEFAULT_RESPONDENTS,
                    help=f"number of respondents (default {DEFAULT_RESPONDENTS}, at least 1000)")
    ap.add_argument("--codebooks", type=Path, default=None, metavar="DIR",
                    help="also write one codebook YAML per question into DIR")
    args = ap.parse_args(argv)
    if args.respondents < 1000:
        ap.error("--respondents must be at least 1000 (the planted campaigns need room)")
    people = write(args.out, args.seed, args.respondents)
    if args.codebooks:
        write_codebooks(args.codebooks, people)


if __name__ == "__main__":
    main()
