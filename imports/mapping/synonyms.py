"""Header spellings of the exports people bring, per import target: data, not logic.

``imports.mapping`` normalises every spelling here the way it normalises a
file's headers (case, accents, punctuation, camelCase and snake_case), so
``"First Name"``, ``"first_name"``, ``"firstName"`` and ``"FIRST NAME"`` are
one entry. List a spelling once, under the target it means in most tools;
where one spelling means different things in different tools (``Title``,
``URL``), the values and the neighbouring columns decide in the engine, and a
comment here says so.

``SYNONYMS[target][spelling]`` names the tools that write that header (shown
to the person as the reason of a proposal). ``LESSER[spelling]`` lowers the
confidence of spellings that are only a second choice for their target, so
that when several columns claim it the best one wins (the direct line over
the switchboard, the business address over the home one) and the others stay
available.

``status`` has no spellings on purpose: "Status", "Lead Status", "Email
Status" hold our statuses in some files and pipeline stages or email
verification results in others; only the values decide (``imports.mapping``).
"""

from __future__ import annotations

SYNONYMS: dict[str, dict[str, str]] = {
    "email": {
        "Email": "HubSpot, Salesforce, Apollo, Zoho, lemlist, Instantly, Smartlead, PenguinLeads",
        "Email Address": "Mailchimp, LinkedIn, ZoomInfo",
        "E-mail Address": "Outlook",
        "E-mail 1 - Value": "Google Contacts",
        "E-mail": "spreadsheets",
        "Mail": "spreadsheets",
        "Work Email": "spreadsheets",
        "Business Email": "spreadsheets",
        "Email 1": "spreadsheets",
        "Primary Email": "spreadsheets",
        "primary_contact_primary_email": "Close",
        "Person - Email": "Pipedrive",
        "Contact Email": "spreadsheets",
        "Courriel": "French spreadsheets",
        "Adresse e-mail": "French spreadsheets",
        "Correo electrónico": "Spanish spreadsheets",
    },
    # Further addresses of the same person: offered, never the identity.
    "email_secondary": {
        "E-mail 2 Address": "Outlook",
        "E-mail 3 Address": "Outlook",
        "E-mail 2 - Value": "Google Contacts",
        "E-mail 3 - Value": "Google Contacts",
        "Secondary Email": "Apollo, Zoho",
        "Tertiary Email": "Apollo",
        "Other Email": "spreadsheets",
        "Other Emails": "spreadsheets",
        "Personal Email": "spreadsheets",
        "Email 2": "spreadsheets",
        "Email 3": "spreadsheets",
        "Alternate Email": "spreadsheets",
        "primary_contact_other_emails": "Close",
    },
    "first_name": {
        "First Name": "HubSpot, Salesforce, Mailchimp, Outlook, Google Contacts, Apollo, LinkedIn, "
        "Zoho, ZoomInfo",
        "First name": "PenguinLeads",
        "FirstName": "Salesforce API",
        "first_name": "Instantly, Smartlead",
        "firstName": "lemlist",
        "Given Name": "Google Contacts (legacy)",
        "Forename": "spreadsheets",
        "Prénom": "French spreadsheets",
        "Vorname": "German spreadsheets",
        "Nombre": "Spanish spreadsheets",
        "primary_contact_first_name": "Close",
        "Person - First name": "Pipedrive",
        "FNAME": "Mailchimp (merge tag)",
    },
    "last_name": {
        "Last Name": "HubSpot, Salesforce, Mailchimp, Outlook, Google Contacts, Apollo, LinkedIn, "
        "Zoho, ZoomInfo",
        "Last name": "PenguinLeads",
        "LastName": "Salesforce API",
        "last_name": "Instantly, Smartlead",
        "lastName": "lemlist",
        "Family Name": "Google Contacts (legacy)",
        "Surname": "spreadsheets",
        "Nom": "French spreadsheets (beside Prénom)",
        "Nom de famille": "French spreadsheets",
        "Nachname": "German spreadsheets",
        "Apellido": "Spanish spreadsheets",
        "Apellidos": "Spanish spreadsheets",
        "primary_contact_last_name": "Close",
        "Person - Last name": "Pipedrive",
        "LNAME": "Mailchimp (merge tag)",
    },
    # One column holding the whole name: split into first and last by the engine,
    # and only when no first/last name column exists beside it.
    "full_name": {
        "Name": "Google Contacts (legacy), spreadsheets",
        "Full Name": "spreadsheets",
        "Contact Name": "Close, spreadsheets",
        "Person - Name": "Pipedrive",
        "primary_contact_name": "Close",
        "Contact": "spreadsheets",
        "Nom complet": "French spreadsheets",
    },
    "company": {
        "Company": "Outlook, LinkedIn, Apollo (older exports), PenguinLeads",
        "Company Name": "HubSpot, Apollo, ZoomInfo",
        "company_name": "Instantly, Smartlead",
        "companyName": "lemlist",
        "Account Name": "Salesforce, Zoho",
        "Account.Name": "Salesforce API",
        "Organization": "spreadsheets",
        "Organisation": "spreadsheets",
        "Organization Name": "Google Contacts",
        "Organization 1 - Name": "Google Contacts (legacy)",
        "Organization - Name": "Pipedrive",
        "Person - Organization": "Pipedrive",
        "Employer": "spreadsheets",
        "Entreprise": "French spreadsheets",
        "Société": "French spreadsheets",
        "Firma": "German spreadsheets",
        "Empresa": "Spanish spreadsheets",
        # Close calls the company a "lead"; its display name is the company's name.
        "display_name": "Close",
        "lead_name": "Close",
        "Associated Company": "HubSpot",
        "Company / Account": "Salesforce (leads)",
    },
    # "Title" alone is the job title (Salesforce, Apollo, Zoho); beside a "Job
    # Title" or "Position" column it is a salutation (Outlook): see imports.mapping.
    "job_title": {
        "Job Title": "HubSpot, Outlook, ZoomInfo, PenguinLeads",
        "Title": "Salesforce, Apollo, Zoho",
        "job_title": "spreadsheets",
        "jobTitle": "lemlist",
        "Position": "LinkedIn",
        "Role": "spreadsheets",
        "Job Role": "spreadsheets",
        "Designation": "spreadsheets",
        "Organization Title": "Google Contacts",
        "Organization 1 - Title": "Google Contacts (legacy)",
        "Person - Job title": "Pipedrive",
        "primary_contact_title": "Close",
        "Contact Title": "Close",
        "Poste": "French spreadsheets",
        "Fonction": "French spreadsheets",
        "Cargo": "Spanish spreadsheets",
        "Occupation": "Google Contacts (legacy)",
        "Profession": "Outlook",
    },
    "phone": {
        "Phone": "Salesforce, Zoho, Instantly, lemlist, PenguinLeads",
        "Phone Number": "HubSpot, Mailchimp",
        "phone_number": "Smartlead",
        "Telephone": "spreadsheets",
        "Tel": "spreadsheets",
        "Téléphone": "French spreadsheets",
        "Telefon": "German spreadsheets",
        "Teléfono": "Spanish spreadsheets",
        "Work Phone": "spreadsheets",
        "Direct Phone": "spreadsheets",
        "Direct Phone Number": "ZoomInfo",
        "Work Direct Phone": "Apollo",
        "Business Phone": "Outlook",
        "Primary Phone": "Outlook",
        "Phone 1 - Value": "Google Contacts",
        "Person - Phone": "Pipedrive",
        "primary_contact_primary_phone": "Close",
        "Mobile": "Salesforce, Zoho",
        "Mobile Phone": "Outlook, Apollo",
        "MobilePhone": "Salesforce API",
        "Mobile phone": "ZoomInfo",
        "Mobile Phone Number": "HubSpot",
        "Cell": "spreadsheets",
        "Cell Phone": "spreadsheets",
        "Portable": "French spreadsheets",
        "Handy": "German spreadsheets",
        "Corporate Phone": "Apollo",
        "Company Phone": "Apollo",
        "Company HQ Phone": "ZoomInfo",
        "Company Main Phone": "Outlook",
        "Home Phone": "Outlook, Apollo, Zoho",
        "Other Phone": "Outlook, Apollo, Zoho",
        "Business Phone 2": "Outlook",
        "Phone 2 - Value": "Google Contacts",
    },
    "website": {
        "Website": "Apollo, ZoomInfo, Instantly, Smartlead, PenguinLeads",
        "Website URL": "HubSpot",
        "Web Page": "Outlook",
        "Web Site": "spreadsheets",
        "Site": "spreadsheets",
        "Site web": "French spreadsheets",
        "Domain": "spreadsheets",
        "Company Domain": "spreadsheets",
        "companyDomain": "lemlist",
        "company_url": "Smartlead",
        "Company Website": "spreadsheets",
        "Website 1 - Value": "Google Contacts",
        # Close's lead URL is the company's site; LinkedIn's "URL" column holds
        # profile links, which the values recognise as LinkedIn URLs instead.
        "URL": "Close, spreadsheets",
    },
    "linkedin_url": {
        "LinkedIn URL": "PenguinLeads, HubSpot",
        "LinkedIn": "spreadsheets",
        "LinkedIn Profile": "spreadsheets",
        "LinkedIn Profile URL": "spreadsheets",
        "linkedin_profile": "Smartlead",
        "linkedinUrl": "lemlist",
        "Person Linkedin Url": "Apollo",
        "LinkedIn Contact Profile URL": "ZoomInfo",
        "Profile URL": "spreadsheets",
        "Person - LinkedIn": "Pipedrive",
    },
    "city": {
        "City": "HubSpot, Apollo, ZoomInfo, PenguinLeads",
        "Town": "spreadsheets",
        "Ville": "French spreadsheets",
        "Stadt": "German spreadsheets",
        "Ciudad": "Spanish spreadsheets",
        "Mailing City": "Salesforce, Zoho",
        "MailingCity": "Salesforce API",
        "Business City": "Outlook",
        "Address 1 - City": "Google Contacts",
        "Person City": "ZoomInfo",
        "address_1_city": "Close",
        "Home City": "Outlook",
        "Other City": "Outlook, Zoho",
    },
    "region": {
        "Region": "PenguinLeads, Mailchimp",
        "State": "Apollo, spreadsheets",
        "State/Region": "HubSpot",
        "State/Province": "spreadsheets",
        "Province": "spreadsheets",
        "County": "spreadsheets",
        "Mailing State": "Zoho",
        "Mailing State/Province": "Salesforce",
        "MailingState": "Salesforce API",
        "Business State": "Outlook",
        "Address 1 - Region": "Google Contacts",
        "Person State": "ZoomInfo",
        "address_1_state": "Close",
        "Home State": "Outlook",
        "Other State": "Outlook, Zoho",
    },
    "country": {
        "Country": "Apollo, ZoomInfo, PenguinLeads",
        "Country/Region": "HubSpot",
        "Pays": "French spreadsheets",
        "Land": "German spreadsheets",
        "País": "Spanish spreadsheets",
        "Mailing Country": "Salesforce, Zoho",
        "MailingCountry": "Salesforce API",
        "Business Country/Region": "Outlook",
        "Business Country": "Outlook (older)",
        "Address 1 - Country": "Google Contacts",
        "address_1_country": "Close",
        "CC": "Mailchimp (country code)",
        "Country Code": "spreadsheets",
        "Home Country/Region": "Outlook",
        "Other Country/Region": "Outlook",
        "Other Country": "Zoho",
    },
    "owner": {
        "Owner": "PenguinLeads, spreadsheets",
        "Contact owner": "HubSpot",
        "Contact Owner": "Salesforce, Zoho, Apollo",
        "Lead Owner": "Salesforce, Zoho, Close",
        "Owner Name": "Salesforce",
        "Record Owner": "spreadsheets",
        "Person - Owner": "Pipedrive",
        "Assigned To": "spreadsheets",
        "Sales Rep": "spreadsheets",
        "HubSpot Owner": "HubSpot",
        "Account Owner": "Apollo, Salesforce",
    },
    "tags": {
        "Tags": "PenguinLeads, spreadsheets",
        "Tag": "Zoho",
        "TAGS": "Mailchimp",
        "Labels": "Google Contacts",
        "Label": "spreadsheets",
        "Person - Labels": "Pipedrive",
        "Person - Label": "Pipedrive (older)",
        "Group Membership": "Google Contacts (legacy)",
        "Categories": "Outlook",
        "Groups": "spreadsheets",
        "Étiquettes": "French spreadsheets",
    },
    # Values worth keeping that no lead field holds: a new text custom field, even
    # when the digits would pass for a number (a postcode is not a quantity).
    "new_cf:text": {
        "Street Address": "HubSpot",
        "Postal Code": "HubSpot",
        "Zip": "spreadsheets",
        "Zip Code": "spreadsheets",
        "Postcode": "spreadsheets",
        "Mailing Street": "Salesforce, Zoho",
        "MailingStreet": "Salesforce API",
        "Mailing Zip": "Zoho",
        "Mailing Zip/Postal Code": "Salesforce",
        "MailingPostalCode": "Salesforce API",
        "Business Street": "Outlook",
        "Business Postal Code": "Outlook",
        "Address 1 - Street": "Google Contacts",
        "Address 1 - Postal Code": "Google Contacts",
        "Person Street": "ZoomInfo",
        "Person Zip Code": "ZoomInfo",
        "address_1_address_1": "Close",
        "address_1_zip": "Close",
        "Address": "Mailchimp",
    },
    # Bookkeeping of the tool that wrote the file: its timestamps, its users,
    # opt-in forensics, geolocation, photos. Nothing a lead record should hold.
    "ignore": {
        # Read-only columns of our own export.
        "ID": "PenguinLeads",
        "Created": "PenguinLeads",
        "Updated": "PenguinLeads",
        "Lists": "PenguinLeads, Apollo",
        # Timestamps and authors of records elsewhere.
        "Create Date": "HubSpot",
        "Created Date": "Salesforce",
        "CreatedDate": "Salesforce API",
        "Created Time": "Zoho",
        "Created At": "spreadsheets",
        "created_at": "Smartlead",
        "date_created": "Close",
        "Date Created": "spreadsheets",
        "Last Modified Date": "Salesforce",
        "LastModifiedDate": "Salesforce API",
        "Modified Time": "Zoho",
        "Updated At": "spreadsheets",
        "updated_at": "Smartlead",
        "date_updated": "Close",
        "Last Activity Date": "HubSpot",
        "Last Activity Time": "Zoho",
        "Last Contacted": "Apollo",
        "Person - Person created": "Pipedrive",
        "Person - Update time": "Pipedrive",
        "Created By": "Zoho",
        "created_by_name": "Close",
        "Modified By": "Zoho",
        "updated_by_name": "Close",
        "html_url": "Close",
        "Address 1 - Formatted": "Google Contacts (repeats the address parts)",
        "Email Domain": "ZoomInfo (the email's own domain)",
        "ZoomInfo Contact Profile URL": "ZoomInfo",
        "ZoomInfo Company Profile URL": "ZoomInfo",
        "primary_contact_primary_url_type": "Close",
        # Mailchimp's subscriber bookkeeping.
        "OPTIN_TIME": "Mailchimp",
        "OPTIN_IP": "Mailchimp",
        "CONFIRM_TIME": "Mailchimp",
        "CONFIRM_IP": "Mailchimp",
        "LATITUDE": "Mailchimp",
        "LONGITUDE": "Mailchimp",
        "GMTOFF": "Mailchimp",
        "DSTOFF": "Mailchimp",
        "TIMEZONE": "Mailchimp",
        "LAST_CHANGED": "Mailchimp",
        "LEID": "Mailchimp",
        "EUID": "Mailchimp",
        # Names' extra parts: salutations and suffixes are not names.
        "Salutation": "Salesforce, Zoho, ZoomInfo",
        "Name Prefix": "Google Contacts",
        "Name Suffix": "Google Contacts",
        "Suffix": "Outlook, ZoomInfo",
        "Middle Name": "Outlook, Google Contacts, ZoomInfo",
        "Additional Name": "Google Contacts (legacy)",
        "Initials": "Outlook, Google Contacts (legacy)",
        "File As": "Google Contacts",
        "Phonetic First Name": "Google Contacts",
        "Phonetic Middle Name": "Google Contacts",
        "Phonetic Last Name": "Google Contacts",
        "Yomi Name": "Google Contacts (legacy)",
        "Given Name Yomi": "Google Contacts (legacy)",
        "Additional Name Yomi": "Google Contacts (legacy)",
        "Family Name Yomi": "Google Contacts (legacy)",
        "Organization 1 - Yomi Name": "Google Contacts (legacy)",
        # Pictures are links to someone else's CDN.
        "Photo": "Google Contacts",
        "picture": "lemlist",
        "Avatar": "spreadsheets",
        "Profile Picture": "spreadsheets",
        # Outlook's record settings.
        "Priority": "Outlook",
        "Sensitivity": "Outlook",
        "Private": "Outlook",
        "Mileage": "Outlook",
        "Billing Information": "Outlook",
        "Directory Server": "Outlook",
        "Internet Free Busy": "Outlook",
        "Government ID Number": "Outlook",
        "Organizational ID Number": "Outlook",
    },
}

# Second choices: a column with one of these headers takes the target only when
# no better-named column claims it. 1.0 when absent.
LESSER: dict[str, float] = {
    # Names and places: the business (or mailing) address beats the home one.
    "Home City": 0.8,
    "Other City": 0.7,
    "Home State": 0.8,
    "Other State": 0.7,
    "Home Country/Region": 0.8,
    "Other Country/Region": 0.7,
    "Other Country": 0.7,
    "County": 0.8,
    "CC": 0.9,
    "Country Code": 0.9,
    # Phones: the person's direct line, then mobile, then the switchboard.
    "Work Direct Phone": 0.97,
    "Direct Phone Number": 0.97,
    "Business Phone": 0.96,
    "Primary Phone": 0.95,
    "Mobile": 0.9,
    "Mobile Phone": 0.9,
    "MobilePhone": 0.9,
    "Mobile phone": 0.9,
    "Mobile Phone Number": 0.9,
    "Cell": 0.9,
    "Cell Phone": 0.9,
    "Portable": 0.9,
    "Handy": 0.9,
    "Corporate Phone": 0.8,
    "Company Phone": 0.75,
    "Company HQ Phone": 0.75,
    "Company Main Phone": 0.75,
    "Home Phone": 0.75,
    "Other Phone": 0.7,
    "Business Phone 2": 0.7,
    "Phone 2 - Value": 0.7,
    # Companies and titles.
    "Associated Company": 0.8,
    "Person - Organization": 0.9,
    "display_name": 0.9,
    "Occupation": 0.7,
    "Profession": 0.7,
    "Role": 0.9,
    # Websites: a bare "URL" or "Domain" is a weaker claim than "Website".
    "URL": 0.85,
    "Domain": 0.9,
    "Company Domain": 0.9,
    "companyDomain": 0.9,
    "company_url": 0.85,
    "Site": 0.85,
    "Profile URL": 0.85,
    # Owners: the account's owner is the contact's owner only failing better.
    "Account Owner": 0.7,
    "Sales Rep": 0.9,
    "Assigned To": 0.9,
    # Names.
    "Contact": 0.8,
    "Mail": 0.9,
    "Label": 0.9,
    "Groups": 0.9,
}

# Values a tool writes for "nothing": treated as empty when looking at samples
# (Outlook fills unused dates with 0/0/00 and Gender with "Unspecified").
EMPTY_PLACEHOLDERS: frozenset[str] = frozenset(
    {"0/0/00", "00/00/0000", "0000-00-00", "unspecified", "n/a", "#n/a", "null", "nan", "-", "--"}
)

# Leading words that name whose field it is without changing what it holds:
# "Person - Owner" is the owner, "Contact Title" the job title.
PERSON_PREFIXES: tuple[str, ...] = (
    "primary contact",
    "contact",
    "person",
    "lead",
    "prospect",
    "member",
    "subscriber",
    "customer",
    "custom",
    "people",
)

# Leading words that move a field to the company: "Organization 1 - Name" is the
# company, "Company City" is NOT the lead's city. After one of these, only the
# listed remainders mean a lead field.
COMPANY_PREFIXES: tuple[str, ...] = ("organization", "organisation", "org", "company", "account")
COMPANY_FIELDS: dict[str, str] = {
    "": "company",
    "name": "company",
    "title": "job_title",
    "job title": "job_title",
    "position": "job_title",
    "website": "website",
    "web site": "website",
    "url": "website",
    "domain": "website",
    "site": "website",
}

# Salutations: a "Title" column full of these is not a job title.
SALUTATIONS: frozenset[str] = frozenset(
    {
        "mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "madam", "mme", "mlle", "m",
        "herr", "frau", "sr", "sra", "srta", "don", "dona", "doña", "dott", "rev",
    }
)  # fmt: skip

# Name parts split_full_name drops or keeps with the last name.
SUFFIXES: frozenset[str] = frozenset(
    {"jr", "sr", "ii", "iii", "iv", "phd", "md", "esq", "mba", "cpa"}
)
PARTICLES: frozenset[str] = frozenset(
    {"van", "von", "de", "del", "della", "der", "den", "di", "da", "dos", "das", "du", "la",
     "le", "ter", "ten", "bin", "ibn", "al", "el", "st", "saint"}
)  # fmt: skip

# Header words after which the values decide whether the column is our status.
STATUS_WORDS: frozenset[str] = frozenset(
    {"status", "subscription", "subscribed", "unsubscribed", "consent"}
)
# Words a new boolean custom field accepts (a subset of what leads.cleaning reads).
BOOLEAN_WORDS: frozenset[str] = frozenset(
    {"true", "false", "yes", "no", "y", "n", "oui", "non", "ja", "nein"}
)

# "Email - Work", "Phone 2", "Personal Email": the base names the target, these the kind.
PRIMARY_QUALIFIERS: frozenset[str] = frozenset(
    {"work", "business", "main", "primary", "1", "value", "direct"}
)
SECONDARY_QUALIFIERS: frozenset[str] = frozenset(
    {"home", "other", "personal", "private", "mobile", "cell", "2", "3", "4", "5", "alternate",
     "alt", "secondary", "tertiary", "additional"}
)  # fmt: skip
# A header naming one of DESCRIBED and one of METADATA describes the value beside
# it ("E-mail 1 - Label", "Email Status", "Phone 1 - Type"): not a value to keep.
DESCRIBED: frozenset[str] = frozenset(
    {"email", "mail", "phone", "address", "website", "organization", "relation"}
)
METADATA: frozenset[str] = frozenset(
    {"type", "label", "source", "confidence", "verification", "verified", "catch", "display",
     "status"}
)  # fmt: skip
